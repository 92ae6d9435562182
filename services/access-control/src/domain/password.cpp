#include "domain/password.hpp"

#include <argon2.h>

#include <algorithm>
#include <cctype>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::access_control {
namespace {

constexpr std::size_t kSaltLength = 16;
constexpr std::size_t kHashLength = 32;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::optional<std::string> CheckPassword(std::string_view password, std::string_view username) {
  if (password.size() < kMinPasswordLength) {
    return "must be at least " + std::to_string(kMinPasswordLength) + " characters long";
  }
  if (password.size() > kMaxPasswordLength) {
    return "must be at most " + std::to_string(kMaxPasswordLength) + " characters long";
  }
  if (std::any_of(password.begin(), password.end(),
                  [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    return "must not contain control characters";
  }
  if (std::all_of(password.begin(), password.end(),
                  [&](char c) { return c == password.front(); })) {
    return "must not be one repeated character";
  }
  if (!username.empty() && Lower(password) == Lower(username)) {
    return "must differ from the user name";
  }
  return std::nullopt;
}

std::string HashPassword(std::string_view password, const PasswordHashParams& params) {
  const std::string salt = crypto::RandomBytes(kSaltLength);
  const std::size_t encoded_length =
      argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism, kSaltLength,
                        kHashLength, Argon2_id);
  std::string encoded(encoded_length, '\0');
  const int rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                                       password.data(), password.size(), salt.data(), salt.size(),
                                       kHashLength, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    throw Error(ErrorCode::kInternal,
                std::string("password hashing failed: ") + argon2_error_message(rc));
  }
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool VerifyPassword(std::string_view password, const std::string& encoded) noexcept {
  if (encoded.rfind("$argon2id$", 0) != 0) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string GeneratePassword(std::size_t length) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    for (unsigned char byte : crypto::RandomBytes(length)) {
      // Rejection sampling keeps every character equally likely (248 = 4 * 62).
      if (byte < 248 && out.size() < length) out.push_back(kAlphabet[byte % kAlphabet.size()]);
    }
  }
  return out;
}

}  // namespace dbaas::access_control

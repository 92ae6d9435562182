#include "dbaas/auth/api_key.hpp"

#include <algorithm>

#include "dbaas/common/crypto.hpp"

namespace dbaas::auth {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// The largest multiple of 62 that fits a byte; bytes at or above it are dropped so every
// character is equally likely.
constexpr unsigned kRejectFrom = 248;

std::string RandomBase62(std::size_t length) {
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    for (const char byte : crypto::RandomBytes(length)) {
      const auto value = static_cast<unsigned char>(byte);
      if (value >= kRejectFrom) continue;
      out += kBase62[value % kBase62.size()];
      if (out.size() == length) break;
    }
  }
  return out;
}

bool IsBase62(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return kBase62.find(c) != std::string_view::npos; });
}

}  // namespace

ApiKey GenerateApiKey() {
  ApiKey key;
  key.prefix = RandomBase62(kApiKeyPrefixLength);
  key.secret = RandomBase62(kApiKeySecretLength);
  key.key = std::string(kApiKeyScheme) + "_" + key.prefix + "_" + key.secret;
  return key;
}

std::optional<ApiKey> ParseApiKey(std::string_view key) {
  constexpr std::size_t kPrefixAt = kApiKeyScheme.size() + 1;
  constexpr std::size_t kSecretAt = kPrefixAt + kApiKeyPrefixLength + 1;
  if (key.size() != kSecretAt + kApiKeySecretLength) return std::nullopt;
  if (key.substr(0, kApiKeyScheme.size()) != kApiKeyScheme || key[kPrefixAt - 1] != '_' ||
      key[kSecretAt - 1] != '_') {
    return std::nullopt;
  }
  const std::string_view prefix = key.substr(kPrefixAt, kApiKeyPrefixLength);
  const std::string_view secret = key.substr(kSecretAt);
  if (!IsBase62(prefix) || !IsBase62(secret)) return std::nullopt;
  return ApiKey{std::string(key), std::string(prefix), std::string(secret)};
}

std::string HashApiKey(std::string_view key) {
  return crypto::Sha256Hex(key);
}

bool VerifyApiKey(std::string_view key, std::string_view stored_hash) noexcept {
  try {
    return crypto::ConstantTimeEquals(HashApiKey(key), stored_hash);
  } catch (...) {
    return false;
  }
}

}  // namespace dbaas::auth

#include "dbaas/engines/password.hpp"

#include <openssl/evp.h>

#include <algorithm>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::engines {

std::string GeneratePassword(std::size_t length) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    for (unsigned char b : crypto::RandomBytes(length * 2)) {
      // 248 = 4 * 62: rejecting larger bytes keeps every character equally likely.
      if (b < 248 && out.size() < length) out += kAlphabet[b % kAlphabet.size()];
    }
  }
  return out;
}

void ValidatePassword(std::string_view password, std::string_view field) {
  std::string issue;
  if (password.size() < 8 || password.size() > 128) {
    issue = "must be 8 to 128 characters";
  } else if (!std::all_of(password.begin(), password.end(),
                          [](char c) { return c > 0x20 && c < 0x7f; })) {
    issue = "must be printable ASCII without spaces";
  }
  if (!issue.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "invalid password", {{std::string(field), issue}});
  }
}

std::string PostgresScramVerifier(std::string_view password, int iterations) {
  return PostgresScramVerifier(password, crypto::RandomBytes(16), iterations);
}

std::string PostgresScramVerifier(std::string_view password, std::string_view salt,
                                  int iterations) {
  // RFC 5802: SaltedPassword = Hi(password, salt, i); for ASCII passwords SASLprep is identity.
  unsigned char salted[32];
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(), sizeof salted,
                        salted) != 1) {
    throw Error(ErrorCode::kInternal, "PBKDF2 failed");
  }
  const std::string salted_password(reinterpret_cast<const char*>(salted), sizeof salted);
  const std::string client_key = crypto::HmacSha256(salted_password, "Client Key");
  const std::string stored_key = crypto::Sha256(client_key);
  const std::string server_key = crypto::HmacSha256(salted_password, "Server Key");
  return "SCRAM-SHA-256$" + std::to_string(iterations) + ":" + crypto::Base64Encode(salt) + "$" +
         crypto::Base64Encode(stored_key) + ":" + crypto::Base64Encode(server_key);
}

std::string MysqlNativePasswordHash(std::string_view password) {
  auto sha1 = [](std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha1(), nullptr) != 1) {
      throw Error(ErrorCode::kInternal, "SHA-1 failed");
    }
    return std::string(reinterpret_cast<const char*>(md), len);
  };
  std::string hex = crypto::HexEncode(sha1(sha1(password)));
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return "*" + hex;
}

}  // namespace dbaas::engines

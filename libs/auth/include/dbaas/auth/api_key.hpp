#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

/// API keys for machines: `dbaas_<prefix>_<secret>`, where prefix is 8 and secret 43 base62
/// characters (about 256 bits of entropy). The prefix is a non-secret lookup id stored in clear;
/// only the SHA-256 of the whole key is stored (keys are random, so a slow hash adds nothing).
namespace dbaas::auth {

inline constexpr std::string_view kApiKeyScheme = "dbaas";
inline constexpr std::size_t kApiKeyPrefixLength = 8;
inline constexpr std::size_t kApiKeySecretLength = 43;

/// A key split into its parts. `key` is secret: show it once, never log it.
struct ApiKey {
  std::string key;
  std::string prefix;
  std::string secret;
};

/// A new random key from the OS CSPRNG.
ApiKey GenerateApiKey();
/// Splits a presented key; nullopt when it does not have the exact format (no reason is given:
/// the caller answers UNAUTHENTICATED either way).
std::optional<ApiKey> ParseApiKey(std::string_view key);
/// What to store: lower-case hex SHA-256 of the whole key.
std::string HashApiKey(std::string_view key);
/// Whether `key` hashes to `stored_hash`, compared in constant time.
bool VerifyApiKey(std::string_view key, std::string_view stored_hash) noexcept;

}  // namespace dbaas::auth

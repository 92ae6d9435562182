#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dbaas::access_control {

inline constexpr std::size_t kMinPasswordLength = 12;
inline constexpr std::size_t kMaxPasswordLength = 256;

/// nullopt when `password` satisfies the policy (12 to 256 bytes, no control characters, not a
/// single repeated character, not equal to `username` ignoring case); otherwise the problem.
/// The message never contains the password.
std::optional<std::string> CheckPassword(std::string_view password, std::string_view username = {});

/// argon2id cost. The defaults take roughly 50-100 ms on the reference machine (2 cores).
struct PasswordHashParams {
  std::uint32_t iterations = 2;
  std::uint32_t memory_kib = 19 * 1024;
  std::uint32_t parallelism = 1;
};

/// The PHC-encoded argon2id hash ("$argon2id$v=19$m=...,t=...,p=...$salt$hash") of `password`
/// with a fresh 16-byte salt. Throws Error{INTERNAL} when argon2 fails. Thread-safe.
std::string HashPassword(std::string_view password, const PasswordHashParams& params = {});

/// Whether `password` matches an encoded argon2id hash (parameters are read from the hash).
/// False for a malformed hash. Thread-safe.
bool VerifyPassword(std::string_view password, const std::string& encoded) noexcept;

/// A random password of `length` characters from [A-Za-z0-9] (about 5.95 bits each).
std::string GeneratePassword(std::size_t length = 28);

}  // namespace dbaas::access_control

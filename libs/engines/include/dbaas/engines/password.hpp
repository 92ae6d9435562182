#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "dbaas/common/error.hpp"

/// Instance passwords. Plain-text passwords are never sent to a server in DDL: the admin code
/// sends only the verifiers below, so statement logs on the server hold no secret.
namespace dbaas::engines {

/// A random password of `length` characters from [A-Za-z0-9] (about 5.95 bits each).
std::string GeneratePassword(std::size_t length = 32);

/// Throws Error{INVALID_ARGUMENT} (field `field`, never echoing the value) unless the
/// password is 8..128 printable ASCII characters (no spaces or control characters).
void ValidatePassword(std::string_view password, std::string_view field = "password");

/// A PostgreSQL SCRAM-SHA-256 verifier "SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>"
/// (RFC 5802/7677) for an ASCII password, with a random 16-byte salt.
std::string PostgresScramVerifier(std::string_view password, int iterations = 4096);
/// The same with a given salt (for tests).
std::string PostgresScramVerifier(std::string_view password, std::string_view salt,
                                  int iterations);

/// The mysql_native_password hash: "*" + upper-case hex of SHA1(SHA1(password)).
std::string MysqlNativePasswordHash(std::string_view password);

}  // namespace dbaas::engines

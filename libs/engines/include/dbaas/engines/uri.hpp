#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dbaas/engines/catalog.hpp"

namespace dbaas::engines {

/// Percent-encodes everything except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string PercentEncode(std::string_view text);

/// What a connection URI names.
struct UriParts {
  std::string host;
  std::uint16_t port = 0;
  std::string user;
  std::string password;  ///< may be empty (left out of the URI)
  std::string database;  ///< may be empty
  /// PostgreSQL `sslmode` (disable, require, verify-ca, verify-full) / MariaDB `ssl-mode`
  /// (DISABLED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY); empty leaves it out.
  std::string ssl_mode;
};

/// postgresql://user:password@host:port/db?sslmode=... or mysql://user:password@host:port/db
/// with user, password and database percent-encoded and IPv6 hosts bracketed.
std::string ConnectionUri(Engine engine, const UriParts& parts);

}  // namespace dbaas::engines

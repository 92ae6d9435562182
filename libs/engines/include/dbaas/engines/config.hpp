#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dbaas/engines/backup.hpp"
#include "dbaas/engines/catalog.hpp"
#include "dbaas/engines/validation.hpp"

namespace dbaas::engines {

/// Settings the platform always controls; clients cannot override them through parameters.
struct PlatformSettings {
  std::uint16_t port = 0;
  std::string listen_address = "127.0.0.1";
  std::string data_dir;    ///< PostgreSQL: data_directory (optional); MariaDB: datadir
  std::string socket_dir;  ///< unix socket directory (MariaDB: <socket_dir>/mysqld.sock)
  std::string log_dir;     ///< server logs go here
  std::string pid_file;    ///< MariaDB only; empty = <data_dir>/mariadbd.pid
  /// TLS files; TLS is enabled when cert and key are both set.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;
  /// MariaDB `user=` (needed when mariadbd starts as root); empty leaves it out.
  std::string run_as_user;
  /// Continuous archiving (WAL archiving / binary log); nullopt leaves it out.
  std::optional<ArchiveSettings> archive;
  /// PostgreSQL only: recovery settings while restoring to a point in time.
  std::optional<RecoveryTarget> recovery;
};

/// Engine settings a size implies before client parameters, e.g. for PostgreSQL
/// shared_buffers = 25% of memory, effective_cache_size = 75%, for MariaDB
/// innodb_buffer_pool_size = 70%. Values are canonical config values.
ParameterValues SizeSettings(Engine engine, const InstanceSize& size);

/// Renders the engine's config: a postgresql.conf fragment, or a my.cnf with one [mysqld]
/// section. Size settings come first, overridden by `parameters` (validated values), then the
/// platform settings. String values are quoted and escaped for the file format; throws
/// Error{INVALID_ARGUMENT} when a platform path holds a control character.
std::string RenderConfig(Engine engine, const InstanceSize& size,
                         const ParameterValues& parameters, const PlatformSettings& platform);

/// Quotes a value for postgresql.conf: '...' with ' doubled and \ escaped.
std::string QuotePostgresConfValue(const std::string& value);
/// Quotes a value for my.cnf: "..." with \ and " escaped.
std::string QuoteMyCnfValue(const std::string& value);

}  // namespace dbaas::engines

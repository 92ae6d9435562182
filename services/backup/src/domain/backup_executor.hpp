#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "domain/backup.hpp"

namespace dbaas::backup {

/// Where and as whom a backup connects to the instance. Holds a secret: never log it.
struct BackupTarget {
  std::string instance_id;
  std::string tenant_id;
  std::string engine;   ///< "postgresql" or "mysql"
  std::string version;  ///< the engine version the instance runs, e.g. "15"
  std::string host;
  int port = 0;
  std::string admin_user;
  std::string admin_password;
  /// PEM of the CA that signed the instance's server certificate (TLS is required).
  std::string ca_pem;
};

struct BackupRequest {
  std::string backup_id;
  std::string type;  ///< "full" or "logical"
  BackupTarget target;
  /// Where the stored object goes, e.g. "<tenant>/<instance>/<backup id>"; the executor may add
  /// a suffix and reports the final key in BackupOutcome::storage_key.
  std::string storage_key_prefix;
};

struct BackupOutcome {
  std::int64_t size_bytes = 0;    ///< plaintext bytes the engine tool produced
  std::int64_t stored_bytes = 0;  ///< bytes written to storage
  std::string checksum;           ///< SHA-256 hex of the stored bytes
  std::string plaintext_sha256;   ///< SHA-256 hex of the plaintext
  std::string key_id;             ///< data key id; empty when not encrypted
  std::string compression;        ///< "zstd", "none" ...
  std::string storage_key;
  std::string log_start;  ///< WAL / binlog position the backup needs; may be empty
  std::string log_end;
  std::string engine_version;  ///< the server version the tool reported
};

/// Progress of a running backup: percent (0-100) and what it is doing.
using ProgressFn = std::function<void(int percent, const std::string& step)>;

/// Takes, verifies and removes stored backups. The backup service's only contact with the
/// engine tools and storage. Implementations are thread-safe (the runner calls them from
/// several threads, for different backups).
class BackupExecutor {
 public:
  virtual ~BackupExecutor() = default;
  /// Takes the backup and stores it. Throws Error on failure, leaving no stored object behind.
  virtual BackupOutcome Run(const BackupRequest& request, const ProgressFn& progress) = 0;
  /// Reads the stored backup back and checks it against its recorded checksum; throws
  /// Error{FAILED_PRECONDITION} naming the problem when it is missing or corrupt.
  virtual void Verify(const BackupRecord& backup) = 0;
  /// Deletes a stored object; nothing to delete is not an error.
  virtual void Remove(const std::string& storage_key) = 0;
};

}  // namespace dbaas::backup

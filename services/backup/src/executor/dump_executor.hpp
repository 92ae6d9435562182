#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>

#include "domain/backup_executor.hpp"

namespace dbaas::backup {

struct DumpExecutorConfig {
  /// Where stored backups go (DBAAS_BACKUP_DIR, default <state>/backups).
  std::filesystem::path dir;
  /// PostgreSQL client programs.
  std::filesystem::path postgres_bin_dir = "/usr/lib/postgresql/15/bin";
  /// mariadb-dump.
  std::filesystem::path mariadb_dump = "/usr/bin/mariadb-dump";
  /// A dump taking longer is killed and fails.
  std::chrono::milliseconds timeout{std::chrono::hours(6)};
};

/// INTERIM executor, to be replaced by the streaming compress -> encrypt -> store pipeline
/// (backup_core) once it is merged: takes logical backups only, with the engines' own dump
/// tools, and stores them as PLAIN, UNENCRYPTED files under `dir` with their SHA-256, so
/// Property 14 does not hold for what it stores.
///  - PostgreSQL: `pg_dumpall` (every database plus roles, as plain SQL; a per-database
///    `pg_dump -Fc` would miss the other databases and the roles).
///  - MariaDB: `mariadb-dump --single-transaction --all-databases` (+ routines, events).
/// Both connect over TLS verified against the instance's CA; the password travels in the
/// child's environment (PGPASSWORD / MYSQL_PWD), never on a command line. The dump is written
/// to `<key>.partial` and renamed when complete, so a stored key is always a whole dump.
class DumpExecutor final : public BackupExecutor {
 public:
  explicit DumpExecutor(DumpExecutorConfig config);

  BackupOutcome Run(const BackupRequest& request, const ProgressFn& progress) override;
  void Verify(const BackupRecord& backup) override;
  void Remove(const std::string& storage_key) override;

  /// The file a storage key names. Throws Error{INVALID_ARGUMENT} for a key that is absolute
  /// or leaves the directory.
  std::filesystem::path PathOf(const std::string& storage_key) const;

 private:
  DumpExecutorConfig config_;
};

/// SHA-256 hex of a file's bytes and its size, read in chunks.
std::pair<std::string, std::int64_t> HashFile(const std::filesystem::path& file);

}  // namespace dbaas::backup

#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "domain/backup_executor.hpp"
#include "pipeline/pipeline.hpp"

namespace dbaas::crypto {
class KeyRing;
}

namespace dbaas::backup {

class ObjectStore;

struct PipelineExecutorConfig {
  /// Compression level and algorithm, frame size and the read throttle (MB/s).
  BackupOptions options;
  /// Private scratch space for a run's CA file (nothing else is written there).
  std::filesystem::path scratch_dir;
  std::string postgres_bin_dir = "/usr/lib/postgresql/15/bin";
  std::string mariadb_bin_dir = "/usr/bin";
};

/// Takes backups with the engines' own tools and streams them through the backup pipeline:
/// tool stdout -> compression -> AES-256-GCM frames under a per-backup data key wrapped by the
/// master key (Property 14) -> SHA-256 -> the object store. No plaintext touches the disk.
///  - PostgreSQL full: pg_basebackup tar with the WAL it needs (the base of point-in-time
///    recovery; log_start is its first WAL segment); logical: pg_dumpall.
///  - MySQL (MariaDB) logical: mariadb-dump of every database. A physical MariaDB backup needs
///    the data directory (mariadb-backup copies InnoDB files itself), which the backup service
///    does not have: it is refused with FAILED_PRECONDITION naming the alternative.
/// The tools connect over TLS verified against the instance's CA; passwords travel in the
/// child's environment only. A tool that fails, or a store that fails, leaves no object.
class PipelineExecutor final : public BackupExecutor {
 public:
  /// `store` and `keys` must outlive the executor.
  PipelineExecutor(ObjectStore& store, const crypto::KeyRing& keys, PipelineExecutorConfig config);

  BackupOutcome Run(const BackupRequest& request, const ProgressFn& progress) override;
  void Verify(const BackupRecord& backup) override;
  void Remove(const std::string& storage_key) override;

 private:
  ObjectStore& store_;
  const crypto::KeyRing& keys_;
  PipelineExecutorConfig config_;
};

/// The PostgreSQL WAL segment file name (16 MiB segments) holding `lsn` ("0/2000028") on
/// `timeline`, e.g. "000000010000000000000002"; empty when `lsn` is malformed.
std::string WalSegmentName(std::uint32_t timeline, const std::string& lsn);

}  // namespace dbaas::backup

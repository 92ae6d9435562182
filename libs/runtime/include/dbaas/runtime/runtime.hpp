#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/engines/backup.hpp"
#include "dbaas/engines/catalog.hpp"
#include "dbaas/engines/validation.hpp"

/// Where customer databases run. Services talk to the `Runtime` interface only and never branch
/// on its kind; `local` (LocalRuntime) runs real server processes on this host, `kubernetes`
/// will implement the same interface.
namespace dbaas::runtime {

/// What to create. `id` names the instance everywhere (1-64 of [a-z0-9_-], starting with a
/// letter or digit); `parameters` are validated values (engines::ValidateParameters).
struct InstanceSpec {
  std::string id;
  engines::Engine engine = engines::Engine::kPostgresql;
  std::string version;  ///< as advertised by engines::DetectEngines ("15", "10.11"); empty = any
  std::string size = "micro";  ///< an engines::InstanceSizes() name
  engines::ParameterValues parameters;
  /// A specific port; empty = the first free one of the runtime's range.
  std::optional<std::uint16_t> port;
  /// PostgreSQL archive_command template (%p path, %f file name) run for every completed WAL
  /// segment; empty: WAL is not kept (archive_mode stays on, so setting one later needs only a
  /// reload). MariaDB instances always write a binlog (engines::ArchiveSettings).
  std::string archive_command;
};

/// Where a new instance's data comes from (CreateFromBackup).
struct RestoreSource {
  /// What the stream holds: a full (physical) backup of the same engine, or a logical dump.
  engines::BackupKind kind = engines::BackupKind::kFull;
  /// The plaintext backup stream, read to EOF from `fd` when >= 0 (the descriptor stays the
  /// caller's) ...
  int fd = -1;
  /// ... else from the stdout of this command (e.g. the backup service's fetch-decrypt tool).
  engines::ToolCommand command;
  /// Point-in-time recovery (full backups only): replay archived WAL / binlogs up to this
  /// instant. PostgreSQL includes every transaction committed at or before it; MariaDB every
  /// transaction whose binlog time (whole seconds) is at or before the second holding it
  /// (engines::MariaDbStopDatetime). Unset: the state at the end of the backup.
  std::optional<std::chrono::system_clock::time_point> target_time;
  /// PostgreSQL PITR: restore_command template fetching archived WAL file %f to path %p; exits
  /// non-zero when the file is not archived.
  std::string wal_restore_command;
  /// MariaDB PITR: template fetching archived binlog %f (e.g. "binlog.000003") to path %p, run
  /// with /bin/sh -c; exits non-zero when it is not archived. Files are fetched in sequence
  /// from the backup's binlog position until one is missing.
  std::string binlog_fetch_command;
};

/// What a finished backup reported.
struct BackupInfo {
  engines::BackupKind kind = engines::BackupKind::kFull;
  std::string server_version;  ///< e.g. "15.18", "10.11.19-MariaDB"
  engines::BackupPoint point;  ///< WAL LSNs / binlog position where known
};

/// A backup being taken. Read the plaintext stream from Fd() until EOF, then call Finish().
/// Destroying it before Finish() kills the tool.
class BackupStream {
 public:
  virtual ~BackupStream() = default;
  virtual int Fd() const = 0;
  /// Waits for the tool. Throws Error (the tool's message; the stream is incomplete and must be
  /// discarded) when it failed.
  virtual BackupInfo Finish() = 0;
};

/// How clients reach an instance. Holds no secret.
struct Endpoint {
  engines::Engine engine = engines::Engine::kPostgresql;
  std::string host;
  std::uint16_t port = 0;
  std::string admin_user;
  /// The CA that signed the server certificate (PEM), for sslrootcert / ssl-ca; the server
  /// certificate names `host` (and localhost), so full verification works.
  std::string ca_pem;
};

/// Returned once by Create: the caller stores the password (encrypted); the runtime keeps none.
struct CreatedInstance {
  Endpoint endpoint;
  std::string admin_password;
  std::string server_version;  ///< e.g. "15.18", "10.11.19-MariaDB"
};

enum class InstanceState {
  kRunning,   ///< the server answers its health check
  kStarting,  ///< the process is up but does not answer yet
  kStopped,   ///< stopped on purpose
  kFailed,    ///< should run, but its process is gone or does not answer
};

/// "running", "starting", "stopped", "failed".
std::string_view InstanceStateName(InstanceState state) noexcept;

struct InstanceStatus {
  InstanceState state = InstanceState::kStopped;
  std::optional<int> pid;  ///< the server's main process when alive
  std::string detail;      ///< why, for failed (e.g. "process 123 is gone; log: ...")
};

/// A new size and/or parameter set (the full desired set, not a delta).
struct ResizeSpec {
  std::string size;
  engines::ParameterValues parameters;
  /// Restart when a changed setting needs one; false leaves it pending until the next restart.
  bool allow_restart = true;
  /// MariaDB applies dynamic settings with SET GLOBAL as the admin (PostgreSQL reloads with a
  /// signal and needs none).
  std::string admin_password;
};

/// What a resize did: settings changed, and which of them took effect how.
struct ConfigChange {
  std::vector<std::string> applied_live;     ///< dynamic settings applied by reload / SET GLOBAL
  std::vector<std::string> pending_restart;  ///< static settings waiting for a restart
  std::vector<std::string> applied_by_restart;
  bool restarted = false;
};

/// One place customer databases run. Errors are dbaas::Error: NOT_FOUND (unknown instance),
/// INVALID_ARGUMENT (bad id, size or parameter), ALREADY_EXISTS, FAILED_PRECONDITION (port
/// taken, missing server package, wrong state), RESOURCE_EXHAUSTED (no free port),
/// UNAVAILABLE (server does not answer), INTERNAL; messages say what failed and what to do and
/// never hold a password. Calls for different instances may run concurrently; calls for one
/// instance must be serialised by the caller (provisioning runs one operation per instance).
class Runtime {
 public:
  virtual ~Runtime() = default;

  /// "local" or "kubernetes" (for logs and the catalogue, never for branching).
  virtual std::string_view Kind() const noexcept = 0;

  /// Creates and starts an instance and returns once it answers. When any step fails,
  /// everything made so far is removed before the error is thrown (Property 6).
  virtual CreatedInstance Create(const InstanceSpec& spec) = 0;
  /// Starts a stopped (or failed) instance and waits until it answers; no-op when running.
  virtual void Start(std::string_view id) = 0;
  /// Stops the server cleanly (and marks it stopped on purpose); no-op when stopped.
  virtual void Stop(std::string_view id) = 0;
  virtual void Restart(std::string_view id) = 0;
  /// Renders and applies a new size/parameter set (see ConfigChange).
  virtual ConfigChange Resize(std::string_view id, const ResizeSpec& spec) = 0;
  /// Stops the server and removes its data, logs, certificates and port claim (Property 7).
  /// Idempotent: deleting an unknown instance does nothing.
  virtual void Delete(std::string_view id) = 0;
  /// Health from what is on disk and a real check of the server, so a new Runtime object
  /// (after a service restart) sees instances created earlier.
  virtual InstanceStatus Status(std::string_view id) = 0;
  /// Ids of the instances this runtime holds, sorted.
  virtual std::vector<std::string> List() = 0;
  /// Runs SQL as the administrator over TLS; returns rows tab-separated, one per line.
  virtual std::string ExecAdminSql(std::string_view id, const std::string& admin_password,
                                   const std::string& sql) = 0;
  /// Makes a replica the primary. The local runtime does not support replicas yet
  /// (FAILED_PRECONDITION).
  virtual void Promote(std::string_view id) = 0;
  /// Adds a streaming replica of `id` named `replica_id`. Not yet supported locally.
  virtual CreatedInstance AddReplica(std::string_view id, const std::string& replica_id) = 0;
  virtual Endpoint GetEndpoint(std::string_view id) = 0;

  /// Starts a backup of a running instance, connecting as its administrator over TLS like any
  /// client (a MariaDB full backup also reads the data directory, so it runs where that is).
  virtual std::unique_ptr<BackupStream> StartBackup(std::string_view id,
                                                    const std::string& admin_password,
                                                    engines::BackupKind kind) = 0;
  /// Creates a NEW instance from a backup stream (optionally to a point in time), with its own
  /// port, certificate and a new admin password (returned once, like Create). Failure at any
  /// step removes everything made (Property 6); the error names the step.
  virtual CreatedInstance CreateFromBackup(const InstanceSpec& spec,
                                           const RestoreSource& source) = 0;
  /// MariaDB: the instance's binlog files, oldest first, with first/last event times for the
  /// closed ones (the last file is still written to). FAILED_PRECONDITION for PostgreSQL.
  virtual std::vector<engines::BinlogFile> ListBinlogs(std::string_view id,
                                                       const std::string& admin_password) = 0;
};

}  // namespace dbaas::runtime

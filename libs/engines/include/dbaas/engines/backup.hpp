#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/engines/catalog.hpp"

/// Backup, restore and point-in-time recovery commands for PostgreSQL 15 and MariaDB 10.11.
/// Pure command building and output parsing: nothing here runs a process (the runtime does).
/// Passwords travel in the environment (PGPASSWORD / MYSQL_PWD), never in argv.
namespace dbaas::engines {

/// `full`: physical (pg_basebackup tar / mariadb-backup xbstream), the base for PITR.
/// `logical`: SQL (pg_dumpall / mariadb-dump), portable across versions, no PITR.
enum class BackupKind { kFull, kLogical };

/// "full", "logical".
std::string_view BackupKindName(BackupKind kind) noexcept;
std::optional<BackupKind> ParseBackupKind(std::string_view name) noexcept;

/// A command to run: argv[0] an absolute path; env entries "KEY=VALUE" set, bare "KEY" unsets
/// (so a stray PGHOST or MYSQL_HOST of the caller cannot redirect the tool). Holds the password
/// in env: never log it.
struct ToolCommand {
  std::vector<std::string> argv;
  std::vector<std::string> env;
};

/// Where a backup tool connects: the instance's TCP endpoint as its administrator over TLS
/// verified against `ca_file` (verify-full), the same on every runtime.
struct BackupSource {
  Engine engine = Engine::kPostgresql;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string admin_user;
  std::string admin_password;
  std::string ca_file;
  /// MariaDB full backups only: mariadb-backup copies InnoDB files itself, so it must run where
  /// the data directory is (the local runtime; on Kubernetes, inside the pod).
  std::string data_dir;
  /// MariaDB full backups only: scratch directory for mariadb-backup (nothing big is written).
  std::string tmp_dir;
  /// Directories of the tools (empty: /usr/lib/postgresql/15/bin, /usr/bin).
  std::string postgres_bin_dir = "/usr/lib/postgresql/15/bin";
  std::string mariadb_bin_dir = "/usr/bin";
};

/// The command whose stdout is ONE backup stream:
/// - PostgreSQL full: `pg_basebackup -D - -Ft -X fetch -c fast -v`: one tar of the data
///   directory with the WAL needed to make it consistent and the backup_manifest; stderr names
///   the WAL start and end LSN (ParseBackupLog).
/// - PostgreSQL logical: `pg_dumpall` (plain SQL: roles with their password verifiers, then
///   every database), restored with psql. One stream for the whole instance, roles included,
///   which a per-database `pg_dump -Fc` cannot give.
/// - MariaDB full: `mariadb-backup --backup --stream=xbstream`; runs where `data_dir` is.
/// - MariaDB logical: `mariadb-dump --all-databases --single-transaction --routines --events
///   --triggers --master-data=2 --gtid`: the binlog position is a comment near the top of the
///   stream (ParseDumpBinlogPosition).
/// Throws Error{INVALID_ARGUMENT} when a field is missing.
ToolCommand BackupCommand(const BackupSource& source, BackupKind kind);

/// A binlog coordinate.
struct BinlogPosition {
  std::string file;  ///< e.g. "binlog.000002"
  std::uint64_t position = 0;
  std::string gtid;  ///< e.g. "0-1-42"; may be empty
};

/// What a finished backup tool reported about the backup's consistent point.
struct BackupPoint {
  /// PostgreSQL full: WAL start and end LSN ("0/2000028"), timeline.
  std::string wal_start_lsn;
  std::string wal_end_lsn;
  std::uint32_t timeline = 0;
  /// MariaDB full (and logical, via ParseDumpBinlogPosition): where replay must start.
  std::optional<BinlogPosition> binlog;
};

/// Reads the consistent point from the tool's stderr (pg_basebackup -v, mariadb-backup).
/// Fields the text does not name stay empty.
BackupPoint ParseBackupLog(Engine engine, std::string_view stderr_text);
/// The binlog position of a `mariadb-dump --master-data=2` stream from its first few KiB.
std::optional<BinlogPosition> ParseDumpBinlogPosition(std::string_view dump_head);
/// The position in mariadb-backup's `xtrabackup_binlog_info` ("file\tpos\tgtid").
std::optional<BinlogPosition> ParseXtrabackupBinlogInfo(std::string_view text);

/// Settings for continuous archiving, rendered into the instance config (RenderConfig via
/// PlatformSettings::archive).
struct ArchiveSettings {
  /// PostgreSQL archive_command, a template with %p (path of the WAL file, relative to the data
  /// directory) and %f (its file name); must exit 0 only when the file is safely stored.
  /// Empty: archive_mode stays on but WAL is discarded (`/bin/true`), so switching archiving
  /// on later is a reload, not a restart.
  std::string archive_command;
  /// PostgreSQL archive_timeout: a partly filled WAL segment is archived after this long, so
  /// the newest restorable point is at most this old (when the instance writes at all).
  std::chrono::seconds archive_timeout{60};
  /// MariaDB: binlog base name (relative to the data directory, so a restored copy's index
  /// stays valid), server_id, rotation size and how long the server keeps closed binlogs.
  std::string binlog_basename = "binlog";
  std::uint32_t server_id = 1;
  std::uint64_t max_binlog_size = 256ULL * 1024 * 1024;
  std::chrono::seconds binlog_expire{std::chrono::hours(24 * 7)};
};

/// The config lines for archiving: PostgreSQL `archive_mode = on`, `archive_command`,
/// `archive_timeout` (wal_level stays at its default replica or the client's logical);
/// MariaDB `log_bin`, `binlog_format = ROW`, `server_id`, `sync_binlog = 1`,
/// `max_binlog_size`, `binlog_expire_logs_seconds`. Throws Error{INVALID_ARGUMENT} for a
/// command with a control character or a bad base name.
std::string RenderArchiveConfig(Engine engine, const ArchiveSettings& settings);

/// PostgreSQL point-in-time recovery settings appended to the config while recovering.
struct RecoveryTarget {
  /// A template with %f (WAL file name wanted) and %p (where to put it); must exit non-zero
  /// when the file does not exist.
  std::string restore_command;
  /// Replays up to and including every transaction committed at or before this instant
  /// (recovery_target_inclusive = on), then promotes. Empty: replay all WAL available.
  std::optional<std::chrono::system_clock::time_point> target_time;
};

/// `restore_command`, `recovery_target_time` (UTC, microseconds), `recovery_target_inclusive
/// = on`, `recovery_target_action = promote`, `recovery_target_timeline = latest`.
std::string RenderRecoveryConfig(const RecoveryTarget& target);

/// A template with %f and %p filled in, shell-quoted for /bin/sh -c (only these two escapes;
/// %% is a literal %).
std::string ExpandFileTemplate(std::string_view templ, std::string_view file_name,
                               std::string_view path);

/// `YYYY-MM-DD HH:MM:SS[.ffffff]+00` (UTC) for PostgreSQL; `frac` adds microseconds.
std::string FormatUtc(std::chrono::system_clock::time_point t, bool frac);

/// MariaDB PITR boundary. Binlog event times have one-second resolution, so the restore
/// replays exactly the transactions whose binlog commit time (the server's clock, whole
/// seconds) is at or before the second holding `target`: a transaction committed at
/// 12:00:05.7 counts as committed at 12:00:05, so a target of 12:00:05.2 includes it, and one
/// of 12:00:04.9 does not. This is `mariadb-binlog --stop-datetime` = floor(target) + 1 s
/// (the tool stops at the first event at or after that second). Returned as the
/// "YYYY-MM-DD HH:MM:SS" mariadb-binlog reads with TZ=UTC.
std::string MariaDbStopDatetime(std::chrono::system_clock::time_point target);

/// One binlog file and the times of its first and last events (whole seconds, UTC).
struct BinlogFile {
  std::string name;
  std::uint64_t size = 0;
  bool closed = false;  ///< rotated: the server writes no more to it, safe to archive
  std::optional<std::chrono::system_clock::time_point> first_event;
  std::optional<std::chrono::system_clock::time_point> last_event;
};

/// Parses the mysql client's `SHOW BINARY LOGS` output (tab-separated, no header): every file
/// but the last is closed.
std::vector<BinlogFile> ParseShowBinaryLogs(std::string_view text);
/// The first and last event times of `mariadb-binlog` text output (run with TZ=UTC): the
/// `#YYMMDD HH:MM:SS server id` header lines.
void ParseBinlogEventTimes(std::string_view mariadb_binlog_text, BinlogFile& file);
/// `mariadb-binlog` reading `files` in order (the first from `start_position`), stopping
/// before the first event at or after MariaDbStopDatetime(target); its stdout is SQL for the
/// mysql client. Env sets TZ=UTC.
ToolCommand BinlogReplayCommand(const std::vector<std::string>& files, std::uint64_t start_position,
                                std::optional<std::chrono::system_clock::time_point> target,
                                const std::string& mariadb_bin_dir = "/usr/bin");

/// `mariadb-binlog --read-from-remote-server` for one binlog of the instance in `source`
/// (TLS, admin password in env, TZ=UTC): text to stdout for ParseBinlogEventTimes, or with
/// `raw_dir` set, a byte copy written as <raw_dir>/<file> (for archiving, on any runtime).
ToolCommand BinlogReadCommand(const BackupSource& source, const std::string& file,
                              const std::string& raw_dir = "");

/// The next binlog name in sequence ("binlog.000009" -> "binlog.000010"); nullopt when the
/// name has no numeric suffix.
std::optional<std::string> NextBinlogName(std::string_view name);

}  // namespace dbaas::engines

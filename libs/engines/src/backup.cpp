#include "dbaas/engines/backup.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <regex>

#include "dbaas/common/error.hpp"
#include "dbaas/engines/config.hpp"

namespace dbaas::engines {
namespace {

using std::chrono::system_clock;

void Require(const std::string& field, const std::string& value) {
  if (value.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "backup source is incomplete",
                {{field, "is required"}});
  }
}

void NoControl(const std::string& field, std::string_view value) {
  const bool bad = std::any_of(value.begin(), value.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (bad) {
    throw Error(ErrorCode::kInvalidArgument, "setting holds a control character",
                {{field, "must not contain control characters (a newline would add lines)"}});
  }
}

std::vector<std::string> PostgresEnv(const std::string& password) {
  // The password only in the child's environment; the caller's PG* variables cannot redirect
  // the tool; no ~/.pgpass is read.
  return {"PGPASSWORD=" + password,
          "PGHOST",
          "PGPORT",
          "PGUSER",
          "PGDATABASE",
          "PGSERVICE",
          "PGOPTIONS",
          "PGSSLMODE",
          "PGPASSFILE=/dev/null",
          "PGSSLROOTCERT"};
}

std::vector<std::string> MariaDbEnv(const std::string& password) {
  return {"MYSQL_PWD=" + password, "MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_UNIX_PORT"};
}

std::string PostgresConninfo(const BackupSource& s, const std::string& db) {
  return "host=" + s.host + " port=" + std::to_string(s.port) + " user=" + s.admin_user +
         " dbname=" + db + " sslmode=verify-full sslrootcert=" + s.ca_file + " connect_timeout=10";
}

std::vector<std::string> MariaDbConnectArgs(const BackupSource& s) {
  return {"--host=" + s.host,      "--port=" + std::to_string(s.port),
          "--protocol=TCP",        "--user=" + s.admin_user,
          "--ssl-ca=" + s.ca_file, "--ssl-verify-server-cert"};
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string ShellQuote(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::tm UtcTm(system_clock::time_point t) {
  const std::time_t secs = system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  return tm;
}

/// Calls `fn` with every line of `text` (without its newline).
template <typename Fn>
void ForEachLine(std::string_view text, Fn&& fn) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    fn(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
}

/// Seconds since the epoch, rounded towards minus infinity (to_time_t may round either way).
std::int64_t FloorSeconds(system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string_view BackupKindName(BackupKind kind) noexcept {
  return kind == BackupKind::kFull ? "full" : "logical";
}

std::optional<BackupKind> ParseBackupKind(std::string_view name) noexcept {
  if (name == "full") return BackupKind::kFull;
  if (name == "logical") return BackupKind::kLogical;
  return std::nullopt;
}

ToolCommand BackupCommand(const BackupSource& s, BackupKind kind) {
  Require("port", s.port == 0 ? "" : "x");
  Require("host", s.host);
  Require("admin_user", s.admin_user);
  Require("admin_password", s.admin_password);
  Require("ca_file", s.ca_file);
  ToolCommand cmd;
  if (s.engine == Engine::kPostgresql) {
    cmd.env = PostgresEnv(s.admin_password);
    if (kind == BackupKind::kFull) {
      // -X fetch: the WAL written during the backup is inside the tar (stream mode cannot
      // write to stdout); -c fast: an immediate checkpoint instead of waiting for the next.
      cmd.argv = {s.postgres_bin_dir + "/pg_basebackup",
                  "--dbname=" + PostgresConninfo(s, "postgres"),
                  "--pgdata=-",
                  "--format=tar",
                  "--wal-method=fetch",
                  "--checkpoint=fast",
                  "--no-password",
                  "--verbose"};
    } else {
      cmd.argv = {s.postgres_bin_dir + "/pg_dumpall", "--dbname=" + PostgresConninfo(s, "postgres"),
                  "--no-password", "--quote-all-identifiers"};
    }
    return cmd;
  }
  cmd.env = MariaDbEnv(s.admin_password);
  if (kind == BackupKind::kFull) {
    Require("data_dir", s.data_dir);
    Require("tmp_dir", s.tmp_dir);
    cmd.argv = {s.mariadb_bin_dir + "/mariadb-backup",
                "--no-defaults",
                "--backup",
                "--stream=xbstream",
                "--datadir=" + s.data_dir,
                "--target-dir=" + s.tmp_dir,
                "--tmpdir=" + s.tmp_dir};
  } else {
    cmd.argv = {s.mariadb_bin_dir + "/mariadb-dump", "--no-defaults"};
  }
  const auto connect = MariaDbConnectArgs(s);
  cmd.argv.insert(cmd.argv.end(), connect.begin(), connect.end());
  if (kind == BackupKind::kLogical) {
    cmd.argv.insert(cmd.argv.end(), {"--all-databases", "--single-transaction", "--routines",
                                     "--events", "--triggers", "--master-data=2", "--gtid",
                                     "--hex-blob", "--default-character-set=utf8mb4"});
  }
  return cmd;
}

BackupPoint ParseBackupLog(Engine engine, std::string_view text) {
  BackupPoint point;
  const std::string s(text);
  std::smatch m;
  if (engine == Engine::kPostgresql) {
    static const std::regex start(
        R"(write-ahead log start point: ([0-9A-F]+/[0-9A-F]+) on timeline (\d+))");
    static const std::regex end(R"(write-ahead log end point: ([0-9A-F]+/[0-9A-F]+))");
    if (std::regex_search(s, m, start)) {
      point.wal_start_lsn = m[1];
      point.timeline = static_cast<std::uint32_t>(std::stoul(m[2]));
    }
    if (std::regex_search(s, m, end)) point.wal_end_lsn = m[1];
    return point;
  }
  // mariadb-backup: "MySQL binlog position: filename 'binlog.000002', position '345', GTID of
  // the last change '0-1-5'".
  static const std::regex pos(
      R"(binlog position: filename '([^']+)', position '(\d+)'(?:, GTID of the last change '([^']*)')?)");
  if (std::regex_search(s, m, pos)) {
    point.binlog = BinlogPosition{m[1], std::stoull(m[2]), m[3]};
  }
  return point;
}

std::optional<BinlogPosition> ParseDumpBinlogPosition(std::string_view head) {
  const std::string s(head);
  std::smatch m;
  static const std::regex pos(R"(MASTER_LOG_FILE='([^']+)',\s*MASTER_LOG_POS=(\d+))");
  if (!std::regex_search(s, m, pos)) return std::nullopt;
  BinlogPosition p{m[1], std::stoull(m[2]), ""};
  static const std::regex gtid(R"(gtid_slave_pos\s*=\s*'([^']*)')");
  if (std::regex_search(s, m, gtid)) p.gtid = m[1];
  return p;
}

std::optional<BinlogPosition> ParseXtrabackupBinlogInfo(std::string_view text) {
  const std::string s = Trim(text);
  static const std::regex line(R"(^(\S+)\s+(\d+)(?:\s+(\S*))?)");
  std::smatch m;
  if (!std::regex_search(s, m, line)) return std::nullopt;
  return BinlogPosition{m[1], std::stoull(m[2]), m[3]};
}

std::string RenderArchiveConfig(Engine engine, const ArchiveSettings& a) {
  std::string out = "# continuous archiving\n";
  if (engine == Engine::kPostgresql) {
    NoControl("archive_command", a.archive_command);
    const auto timeout = std::max<std::int64_t>(a.archive_timeout.count(), 0);
    out += "archive_mode = on\n";
    out += "archive_command = " +
           QuotePostgresConfValue(a.archive_command.empty() ? "/bin/true" : a.archive_command) +
           "\n";
    out += "archive_timeout = " + std::to_string(timeout) + "\n";
    return out;
  }
  const bool plain = !a.binlog_basename.empty() &&
                     std::all_of(a.binlog_basename.begin(), a.binlog_basename.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                     });
  if (!plain) {
    throw Error(ErrorCode::kInvalidArgument, "invalid binlog base name",
                {{"binlog_basename", "must be a plain file name of [A-Za-z0-9_-]"}});
  }
  if (a.server_id == 0) {
    throw Error(ErrorCode::kInvalidArgument, "invalid server_id",
                {{"server_id", "must be 1-4294967295 (0 disables binary logging)"}});
  }
  out += "log_bin = " + a.binlog_basename + "\n";
  out += "binlog_format = ROW\n";
  out += "server_id = " + std::to_string(a.server_id) + "\n";
  out += "sync_binlog = 1\n";
  out += "max_binlog_size = " +
         std::to_string(std::clamp<std::uint64_t>(a.max_binlog_size, 4096, 1024ULL * 1024 * 1024)) +
         "\n";
  out += "binlog_expire_logs_seconds = " + std::to_string(a.binlog_expire.count()) + "\n";
  return out;
}

std::string FormatUtc(system_clock::time_point t, bool frac) {
  const auto secs = FloorSeconds(t);
  const auto tm = UtcTm(system_clock::time_point(std::chrono::seconds(secs)));
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::string out = buf;
  if (frac) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() -
        secs * 1000000;
    char f[32];
    std::snprintf(f, sizeof f, ".%06lld", static_cast<long long>(micros));
    out += f;
  }
  return out + "+00";
}

std::string RenderRecoveryConfig(const RecoveryTarget& r) {
  NoControl("restore_command", r.restore_command);
  if (r.restore_command.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "point-in-time recovery needs a restore command",
                {{"restore_command", "is required (a template with %f and %p)"}});
  }
  std::string out = "# point-in-time recovery (removed once promoted)\n";
  out += "restore_command = " + QuotePostgresConfValue(r.restore_command) + "\n";
  out += "recovery_target_timeline = 'latest'\n";
  if (r.target_time) {
    out +=
        "recovery_target_time = " + QuotePostgresConfValue(FormatUtc(*r.target_time, true)) + "\n";
    out += "recovery_target_inclusive = on\n";
    out += "recovery_target_action = 'promote'\n";
  }
  return out;
}

std::string ExpandFileTemplate(std::string_view templ, std::string_view file_name,
                               std::string_view path) {
  std::string out;
  for (std::size_t i = 0; i < templ.size(); ++i) {
    if (templ[i] == '%' && i + 1 < templ.size()) {
      const char next = templ[i + 1];
      if (next == 'f' || next == 'p' || next == '%') {
        out += next == 'f' ? ShellQuote(file_name) : next == 'p' ? ShellQuote(path) : "%";
        ++i;
        continue;
      }
    }
    out += templ[i];
  }
  return out;
}

std::string MariaDbStopDatetime(system_clock::time_point target) {
  const auto stop = system_clock::time_point(std::chrono::seconds(FloorSeconds(target) + 1));
  auto text = FormatUtc(stop, false);
  return text.substr(0, text.size() - 3);  // without "+00": mariadb-binlog reads TZ's time
}

std::vector<BinlogFile> ParseShowBinaryLogs(std::string_view text) {
  std::vector<BinlogFile> out;
  ForEachLine(text, [&out](std::string_view line) {
    const auto tab = line.find('\t');
    if (line.empty() || tab == std::string_view::npos) return;
    BinlogFile f;
    f.name = std::string(line.substr(0, tab));
    const auto rest = line.substr(tab + 1);
    f.size = std::strtoull(std::string(rest.substr(0, rest.find('\t'))).c_str(), nullptr, 10);
    f.closed = true;
    out.push_back(std::move(f));
  });
  if (!out.empty()) out.back().closed = false;
  return out;
}

void ParseBinlogEventTimes(std::string_view text, BinlogFile& file) {
  // Header of every event: "#240131 12:00:05 server id 1  end_log_pos 256 ..." (TZ=UTC).
  static const std::regex header(R"(^#(\d{2})(\d{2})(\d{2}) +(\d{1,2}):(\d{2}):(\d{2}) server id)");
  ForEachLine(text, [&](std::string_view line) {
    if (line.size() < 20 || line[0] != '#' || line.find(" server id ") == std::string_view::npos)
      return;
    std::cmatch m;
    if (!std::regex_search(line.data(), line.data() + line.size(), m, header)) return;
    std::tm tm{};
    tm.tm_year = 100 + std::stoi(m[1]);
    tm.tm_mon = std::stoi(m[2]) - 1;
    tm.tm_mday = std::stoi(m[3]);
    tm.tm_hour = std::stoi(m[4]);
    tm.tm_min = std::stoi(m[5]);
    tm.tm_sec = std::stoi(m[6]);
    const auto t = system_clock::from_time_t(::timegm(&tm));
    if (!file.first_event) file.first_event = t;
    file.last_event = t;
  });
}

ToolCommand BinlogReplayCommand(const std::vector<std::string>& files, std::uint64_t start_position,
                                std::optional<system_clock::time_point> target,
                                const std::string& mariadb_bin_dir) {
  if (files.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "no binlog files to replay");
  }
  ToolCommand cmd;
  cmd.argv = {mariadb_bin_dir + "/mariadb-binlog", "--no-defaults",
              "--start-position=" + std::to_string(start_position)};
  if (target) cmd.argv.push_back("--stop-datetime=" + MariaDbStopDatetime(*target));
  cmd.argv.insert(cmd.argv.end(), files.begin(), files.end());
  cmd.env = {"TZ=UTC"};
  return cmd;
}

ToolCommand BinlogReadCommand(const BackupSource& s, const std::string& file,
                              const std::string& raw_dir) {
  Require("admin_user", s.admin_user);
  Require("ca_file", s.ca_file);
  NoControl("file", file);
  ToolCommand cmd;
  cmd.argv = {s.mariadb_bin_dir + "/mariadb-binlog", "--no-defaults", "--read-from-remote-server"};
  const auto connect = MariaDbConnectArgs(s);
  cmd.argv.insert(cmd.argv.end(), connect.begin(), connect.end());
  if (!raw_dir.empty())
    cmd.argv.insert(cmd.argv.end(), {"--raw", "--result-file=" + raw_dir + "/"});
  cmd.argv.push_back(file);
  cmd.env = MariaDbEnv(s.admin_password);
  cmd.env.push_back("TZ=UTC");
  return cmd;
}

std::optional<std::string> NextBinlogName(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size()) return std::nullopt;
  const auto digits = name.substr(dot + 1);
  if (!std::all_of(digits.begin(), digits.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return std::nullopt;
  }
  const auto next = std::to_string(std::stoull(std::string(digits)) + 1);
  const std::string padded =
      next.size() < digits.size() ? std::string(digits.size() - next.size(), '0') + next : next;
  return std::string(name.substr(0, dot + 1)) + padded;
}

}  // namespace dbaas::engines

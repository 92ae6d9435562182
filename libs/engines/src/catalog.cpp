#include "dbaas/engines/catalog.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <regex>

namespace dbaas::engines {
namespace {

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;
constexpr std::int64_t kTiB = 1024 * kGiB;
constexpr double kIntMax = 2147483647.0;
constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kDay = 86400 * kSecond;

ParameterSpec Int(std::string name, double min, double max, std::string def, bool dynamic,
                  std::string description) {
  ParameterSpec p;
  p.name = std::move(name);
  p.type = ParamType::kInt;
  p.min = min;
  p.max = max;
  p.default_value = std::move(def);
  p.dynamic = dynamic;
  p.description = std::move(description);
  return p;
}

ParameterSpec Typed(ParamType type, std::string name, std::int64_t base_unit, double min,
                    double max, std::string def, bool dynamic, std::string description) {
  ParameterSpec p = Int(std::move(name), min, max, std::move(def), dynamic, std::move(description));
  p.type = type;
  p.base_unit = base_unit;
  return p;
}

ParameterSpec Choice(ParamType type, std::string name, std::vector<std::string> allowed,
                     std::string def, bool dynamic, std::string description) {
  ParameterSpec p;
  p.name = std::move(name);
  p.type = type;
  p.allowed = std::move(allowed);
  p.default_value = std::move(def);
  p.dynamic = dynamic;
  p.description = std::move(description);
  return p;
}

// "dynamic" follows pg_settings.context in PostgreSQL 15: postmaster => static (restart);
// sighup, superuser, user, superuser-backend => a reload (or new sessions) applies it.
std::vector<ParameterSpec> PostgresParameters() {
  std::vector<ParameterSpec> p = {
      Typed(ParamType::kMemory, "shared_buffers", 8 * kKiB, 128.0 * kKiB, 256.0 * kGiB, "128MB",
            false, "Memory for the shared buffer cache"),
      Int("max_connections", 10, 10000, "100", false, "Maximum concurrent connections"),
      Typed(ParamType::kMemory, "work_mem", kKiB, 64.0 * kKiB, 2.0 * kGiB - kKiB, "4MB", true,
            "Memory per sort/hash operation before spilling to disk"),
      Typed(ParamType::kMemory, "maintenance_work_mem", kKiB, 1.0 * kMiB, 2.0 * kGiB - kKiB,
            "64MB", true, "Memory for VACUUM, CREATE INDEX and similar"),
      Typed(ParamType::kMemory, "effective_cache_size", 8 * kKiB, 8.0 * kKiB, 1.0 * kTiB, "4GB",
            true, "Planner's assumption about the size of the disk cache"),
      Typed(ParamType::kDuration, "statement_timeout", 1, 0, kIntMax, "0", true,
            "Abort statements running longer than this (0 disables)"),
      Typed(ParamType::kDuration, "log_min_duration_statement", 1, -1, kIntMax, "-1", true,
            "Log statements running at least this long (-1 disables, 0 logs all)"),
      Typed(ParamType::kDuration, "idle_in_transaction_session_timeout", 1, 0, kIntMax, "0",
            true, "Terminate sessions idle in a transaction longer than this (0 disables)"),
      Typed(ParamType::kReal, "random_page_cost", 1, 0, 1000, "4", true,
            "Planner's cost of a non-sequentially fetched page"),
      Typed(ParamType::kReal, "seq_page_cost", 1, 0, 1000, "1", true,
            "Planner's cost of a sequentially fetched page"),
      Int("effective_io_concurrency", 0, 1000, "1", true,
          "Concurrent disk I/O operations the planner may assume"),
      Int("max_parallel_workers_per_gather", 0, 1024, "2", true,
          "Parallel workers per Gather node"),
      Choice(ParamType::kEnum, "wal_level", {"replica", "logical"}, "replica", false,
             "WAL detail; 'minimal' is not offered because replicas and backups need more"),
      Typed(ParamType::kMemory, "max_wal_size", kMiB, 32.0 * kMiB, 1.0 * kTiB, "1GB", true,
            "WAL size that triggers a checkpoint"),
      Typed(ParamType::kMemory, "min_wal_size", kMiB, 32.0 * kMiB, 1.0 * kTiB, "80MB", true,
            "WAL kept for recycling"),
      Typed(ParamType::kDuration, "checkpoint_timeout", kSecond, 30.0 * kSecond, 1.0 * kDay,
            "5min", true, "Maximum time between automatic checkpoints"),
      Typed(ParamType::kReal, "checkpoint_completion_target", 1, 0, 1, "0.9", true,
            "Fraction of the checkpoint interval to spread writes over"),
      Choice(ParamType::kString, "timezone", {}, "UTC", true,
             "Time zone for displaying and interpreting time stamps (IANA name)"),
      Choice(ParamType::kEnum, "log_statement", {"none", "ddl", "mod", "all"}, "none", true,
             "Which statements are logged"),
      Choice(ParamType::kBool, "log_connections", {}, "off", true,
             "Log each successful connection (applies to new sessions)"),
      Choice(ParamType::kBool, "autovacuum", {}, "on", true, "Run the autovacuum launcher"),
      Choice(ParamType::kBool, "track_io_timing", {}, "off", true,
             "Collect timing statistics for I/O"),
      Choice(ParamType::kEnum, "default_transaction_isolation",
             {"serializable", "repeatable read", "read committed", "read uncommitted"},
             "read committed", true, "Isolation level of new transactions"),
      Int("max_worker_processes", 1, 262143, "8", false, "Maximum background worker processes"),
  };
  std::sort(p.begin(), p.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return p;
}

// "dynamic" follows the MariaDB 10.11 system variable documentation ("Dynamic: Yes").
std::vector<ParameterSpec> MariaDbParameters() {
  auto time_zone = Choice(ParamType::kString, "time_zone", {}, "SYSTEM", true,
                          "Default time zone: SYSTEM or an offset such as +02:00");
  time_zone.config_name = "default-time-zone";
  std::vector<ParameterSpec> p = {
      Int("max_connections", 10, 100000, "151", true, "Maximum concurrent connections"),
      Typed(ParamType::kMemory, "innodb_buffer_pool_size", 1, 32.0 * kMiB, 1.0 * kTiB, "128M",
            true, "InnoDB buffer pool size"),
      Typed(ParamType::kMemory, "innodb_log_file_size", 1, 4.0 * kMiB, 512.0 * kGiB, "96M",
            true, "InnoDB redo log size (resizable online since 10.9)"),
      Choice(ParamType::kEnum, "innodb_flush_log_at_trx_commit", {"0", "1", "2"}, "1", true,
             "Redo log flushing at commit (1 = durable)"),
      Int("innodb_io_capacity", 100, 4294967295.0, "200", true,
          "I/O operations per second available to InnoDB background tasks"),
      Typed(ParamType::kReal, "long_query_time", 1, 0, 31536000, "10", true,
            "Seconds after which a query counts as slow"),
      Choice(ParamType::kBool, "slow_query_log", {}, "OFF", true, "Write the slow query log"),
      Int("wait_timeout", 1, 31536000, "28800", true,
          "Seconds an idle non-interactive connection is kept"),
      Int("interactive_timeout", 1, 31536000, "28800", true,
          "Seconds an idle interactive connection is kept"),
      Typed(ParamType::kMemory, "max_allowed_packet", 1, 1.0 * kKiB, 1.0 * kGiB, "16M", true,
            "Largest packet or generated string"),
      Typed(ParamType::kMemory, "tmp_table_size", 1, 1.0 * kKiB, 64.0 * kGiB, "16M", true,
            "Largest in-memory internal temporary table"),
      Typed(ParamType::kMemory, "max_heap_table_size", 1, 16.0 * kKiB, 64.0 * kGiB, "16M", true,
            "Largest user-created MEMORY table"),
      Int("table_open_cache", 10, 1048576, "2000", true, "Open tables cached for all threads"),
      Int("thread_cache_size", 0, 16384, "256", true, "Threads kept for reuse"),
      Choice(ParamType::kSet, "sql_mode",
             {"ALLOW_INVALID_DATES", "ANSI_QUOTES", "ERROR_FOR_DIVISION_BY_ZERO",
              "HIGH_NOT_PRECEDENCE", "IGNORE_BAD_TABLE_OPTIONS", "IGNORE_SPACE",
              "NO_AUTO_CREATE_USER", "NO_AUTO_VALUE_ON_ZERO", "NO_BACKSLASH_ESCAPES",
              "NO_DIR_IN_CREATE", "NO_ENGINE_SUBSTITUTION", "NO_FIELD_OPTIONS",
              "NO_KEY_OPTIONS", "NO_TABLE_OPTIONS", "NO_UNSIGNED_SUBTRACTION",
              "NO_ZERO_DATE", "NO_ZERO_IN_DATE", "ONLY_FULL_GROUP_BY", "PAD_CHAR_TO_FULL_LENGTH",
              "PIPES_AS_CONCAT", "REAL_AS_FLOAT", "SIMULTANEOUS_ASSIGNMENT",
              "STRICT_ALL_TABLES", "STRICT_TRANS_TABLES", "TIME_ROUND_FRACTIONAL",
              "TRADITIONAL", "ANSI", "EMPTY_STRING_IS_NULL"},
             "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,"
             "NO_ENGINE_SUBSTITUTION",
             true, "SQL modes (comma-separated)"),
      Choice(ParamType::kEnum, "character_set_server",
             {"utf8mb4", "utf8mb3", "latin1", "ascii", "binary"}, "utf8mb4", true,
             "Default character set of new databases"),
      Choice(ParamType::kEnum, "collation_server",
             {"utf8mb4_general_ci", "utf8mb4_unicode_ci", "utf8mb4_unicode_520_ci", "utf8mb4_bin",
              "utf8mb3_general_ci", "utf8mb3_unicode_ci", "utf8mb3_bin", "latin1_swedish_ci",
              "latin1_general_ci", "latin1_bin", "ascii_general_ci", "ascii_bin", "binary"},
             "utf8mb4_general_ci", true,
             "Default collation of new databases (must belong to character_set_server)"),
      time_zone,
      Choice(ParamType::kBool, "performance_schema", {}, "OFF", false,
             "Enable the Performance Schema"),
  };
  std::sort(p.begin(), p.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return p;
}

/// Runs `binary --version` without a shell and returns its stdout (empty on failure).
std::string VersionOutput(const std::filesystem::path& binary) {
  std::error_code ec;
  if (!std::filesystem::exists(binary, ec)) return {};
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return {};
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    const std::string path = binary.string();
    execl(path.c_str(), path.c_str(), "--version", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  std::array<char, 512> buf{};
  ssize_t n = 0;
  while ((n = read(fds[0], buf.data(), buf.size())) > 0) {
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

}  // namespace

std::string_view EngineName(Engine engine) noexcept {
  return engine == Engine::kPostgresql ? "postgresql" : "mysql";
}

std::optional<Engine> ParseEngine(std::string_view name) noexcept {
  if (name == "postgresql") return Engine::kPostgresql;
  if (name == "mysql") return Engine::kMysql;
  return std::nullopt;
}

std::string_view ParamTypeName(ParamType type) noexcept {
  switch (type) {
    case ParamType::kInt: return "int";
    case ParamType::kReal: return "real";
    case ParamType::kBool: return "bool";
    case ParamType::kEnum: return "enum";
    case ParamType::kSet: return "set";
    case ParamType::kString: return "string";
    case ParamType::kMemory: return "memory";
    case ParamType::kDuration: return "duration";
  }
  return "unknown";
}

const std::vector<ParameterSpec>& Parameters(Engine engine) {
  static const std::vector<ParameterSpec> pg = PostgresParameters();
  static const std::vector<ParameterSpec> my = MariaDbParameters();
  return engine == Engine::kPostgresql ? pg : my;
}

const ParameterSpec* FindParameter(Engine engine, std::string_view name) {
  for (const auto& p : Parameters(engine)) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const std::vector<InstanceSize>& InstanceSizes() {
  static const std::vector<InstanceSize> sizes = {
      {"micro", 1, 512, 1, 100, 1000, 50},
      {"small", 1, 2048, 10, 500, 3000, 100},
      {"medium", 2, 8192, 20, 2000, 6000, 200},
      {"large", 4, 16384, 50, 8000, 12000, 400},
      {"xlarge", 8, 32768, 100, 16000, 20000, 800},
  };
  return sizes;
}

const InstanceSize* FindSize(std::string_view name) {
  for (const auto& s : InstanceSizes()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::optional<std::string> ParsePostgresVersion(std::string_view version_output) {
  static const std::regex re(R"(\(PostgreSQL\)\s+([0-9]+(?:\.[0-9]+)?))");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_search(version_output.begin(), version_output.end(), m, re)) {
    return std::nullopt;
  }
  return m[1].str();
}

std::optional<std::string> ParseMariaDbVersion(std::string_view version_output) {
  static const std::regex re(R"(Ver\s+([0-9]+\.[0-9]+\.[0-9]+-MariaDB))");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_search(version_output.begin(), version_output.end(), m, re)) {
    return std::nullopt;
  }
  return m[1].str();
}

std::optional<EngineInfo> DetectPostgres(const std::filesystem::path& bin_dir) {
  const auto version = ParsePostgresVersion(VersionOutput(bin_dir / "postgres"));
  if (!version) return std::nullopt;
  EngineInfo info;
  info.engine = Engine::kPostgresql;
  info.server = "PostgreSQL";
  info.server_version = *version;
  info.versions = {version->substr(0, version->find('.'))};
  return info;
}

std::optional<EngineInfo> DetectMariaDb(const std::filesystem::path& mariadbd) {
  const auto version = ParseMariaDbVersion(VersionOutput(mariadbd));
  if (!version) return std::nullopt;
  EngineInfo info;
  info.engine = Engine::kMysql;
  info.server = "MariaDB";
  info.server_version = *version;
  const auto first = version->find('.');
  info.versions = {version->substr(0, version->find('.', first + 1))};
  return info;
}

std::vector<EngineInfo> DetectEngines() {
  std::vector<EngineInfo> engines;
  std::error_code ec;
  int newest = -1;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto name = entry.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) {
      newest = std::max(newest, std::stoi(name));
    }
  }
  if (newest >= 0) {
    if (auto pg = DetectPostgres("/usr/lib/postgresql/" + std::to_string(newest) + "/bin")) {
      engines.push_back(*pg);
    }
  }
  if (auto my = DetectMariaDb("/usr/sbin/mariadbd")) engines.push_back(*my);
  return engines;
}

}  // namespace dbaas::engines

#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// The engine catalogue: which engines exist, which parameters each accepts and the instance
/// sizes. Everything here is pure data except the Detect* functions, which run server binaries.
namespace dbaas::engines {

/// The engines the API offers. `mysql` is served by MariaDB 10.11 on the local runtime.
enum class Engine { kPostgresql, kMysql };

/// The API name: "postgresql" or "mysql".
std::string_view EngineName(Engine engine) noexcept;
/// The engine for an API name; nullopt for anything else (case-sensitive).
std::optional<Engine> ParseEngine(std::string_view name) noexcept;

/// How a parameter's value is written and checked.
enum class ParamType {
  kInt,       ///< integer in [min, max]
  kReal,      ///< floating point in [min, max]
  kBool,      ///< JSON true/false, or "on"/"off"/"true"/"false"/"1"/"0"
  kEnum,      ///< one of `allowed`
  kSet,       ///< comma-separated subset of `allowed` (MariaDB sql_mode); "" allowed
  kString,    ///< free text checked by the parameter's own rule (e.g. time zones)
  kMemory,    ///< bytes; a JSON integer means `base_unit` units, a string may carry B/kB/MB/GB/TB
  kDuration,  ///< milliseconds; a JSON integer means `base_unit` ms, a string may carry ms/s/min/h/d
};

/// The wire name of a type: "int", "real", "bool", "enum", "set", "string", "memory", "duration".
std::string_view ParamTypeName(ParamType type) noexcept;

/// One parameter an engine accepts through the API.
struct ParameterSpec {
  std::string name;         ///< API name (also the server's variable name)
  ParamType type = ParamType::kInt;
  /// kMemory: bytes per unitless number (PG shared_buffers = 8192, work_mem = 1024, MariaDB = 1);
  /// kDuration: milliseconds per unitless number (1 = ms, 1000 = s). 1 otherwise.
  std::int64_t base_unit = 1;
  /// Inclusive range in canonical units (bytes for memory, ms for duration); also for kReal.
  double min = 0;
  double max = 0;
  std::vector<std::string> allowed;  ///< kEnum / kSet
  std::string default_value;         ///< as the server reports it, for display
  bool dynamic = false;              ///< true: a reload applies it; false: needs a restart
  std::string description;
  /// The option name in the config file when it differs from `name` (MariaDB time_zone is
  /// `default-time-zone` in my.cnf); empty means `name`.
  std::string config_name;
};

/// A size clients choose for an instance.
struct InstanceSize {
  std::string name;
  int vcpu = 0;
  std::int64_t memory_mib = 0;
  std::int64_t min_storage_gb = 0;
  std::int64_t max_storage_gb = 0;
  std::int64_t iops = 0;
  int max_connections = 0;  ///< the size's default connection limit (both engines)
};

/// Everything the API reports for one engine.
struct EngineInfo {
  Engine engine = Engine::kPostgresql;
  /// Versions clients may ask for, e.g. {"15"} (PostgreSQL major) or {"10.11"} (MariaDB).
  std::vector<std::string> versions;
  /// The full server version reported by the binary, e.g. "15.18" or "10.11.19-MariaDB".
  std::string server_version;
  /// What serves the engine: "PostgreSQL" or "MariaDB".
  std::string server;
};

/// The curated parameters of an engine (stable order, sorted by name).
const std::vector<ParameterSpec>& Parameters(Engine engine);
/// The parameter named `name`, or nullptr.
const ParameterSpec* FindParameter(Engine engine, std::string_view name);

/// The instance sizes, smallest first.
const std::vector<InstanceSize>& InstanceSizes();
/// The size named `name`, or nullptr.
const InstanceSize* FindSize(std::string_view name);

/// Parses "postgres (PostgreSQL) 15.18 (Debian ...)" into "15.18"; nullopt when not recognised.
std::optional<std::string> ParsePostgresVersion(std::string_view version_output);
/// Parses "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for ..." into "10.11.19-MariaDB";
/// nullopt when not recognised.
std::optional<std::string> ParseMariaDbVersion(std::string_view version_output);

/// Runs `<bin_dir>/postgres --version`; nullopt when the binary is missing or says nothing
/// recognisable. The advertised version is the major ("15").
std::optional<EngineInfo> DetectPostgres(const std::filesystem::path& bin_dir);
/// Runs `<mariadbd> --version` (a path); nullopt when missing. Advertised as "10.11".
std::optional<EngineInfo> DetectMariaDb(const std::filesystem::path& mariadbd);

/// The engines available on this host: PostgreSQL from the newest /usr/lib/postgresql/<N>/bin
/// and MariaDB from /usr/sbin/mariadbd. Missing servers are left out.
std::vector<EngineInfo> DetectEngines();

}  // namespace dbaas::engines

#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/common/error.hpp"
#include "dbaas/engines/catalog.hpp"

namespace dbaas::engines {

/// Parameter values after validation: API name -> the value as written into the engine's
/// config file (canonical units, unquoted), e.g. {"shared_buffers", "262144kB"}.
using ParameterValues = std::map<std::string, std::string>;

/// What a client asks for when creating an instance (already read from JSON).
struct InstanceRequest {
  std::string engine;
  std::string version;
  std::string size;
  std::int64_t storage_gb = 0;
  /// A JSON object of parameter name -> value, or nullptr for none.
  const nlohmann::json* parameters = nullptr;
};

/// The outcome of validating an InstanceRequest.
struct ValidatedInstance {
  Engine engine = Engine::kPostgresql;
  const InstanceSize* size = nullptr;
  ParameterValues parameters;
};

/// Validates one parameter value; on success returns the canonical config value, otherwise
/// nullopt with a message in `issue` (never mentions anything but the value's shape and range).
std::optional<std::string> ValidateParameterValue(const ParameterSpec& spec,
                                                  const nlohmann::json& value, std::string& issue);

/// Validates a JSON object of parameters for `engine`. Every problem is appended to
/// `violations` with field "<path>.<name>" (or `path` when `parameters` is not an object);
/// unknown names, wrong types, bad units, out-of-range values and cross-parameter conflicts
/// (MariaDB collation vs character set, PostgreSQL min_wal_size > max_wal_size) are reported.
/// Returns the values that passed.
ParameterValues ValidateParameters(Engine engine, const nlohmann::json& parameters,
                                   std::vector<FieldViolation>& violations,
                                   std::string_view path = "parameters");

/// Property 4: checks engine, version (against `available`), size, storage_gb (within the
/// size's range) and every parameter, collecting all problems. Returns the violations; empty
/// means valid.
std::vector<FieldViolation> ValidateInstance(const std::vector<EngineInfo>& available,
                                             const InstanceRequest& request,
                                             ValidatedInstance* out = nullptr);

/// Like ValidateInstance but throws Error{INVALID_ARGUMENT} with every violation in `details`.
ValidatedInstance ValidateInstanceOrThrow(const std::vector<EngineInfo>& available,
                                          const InstanceRequest& request);

/// Parses a memory quantity: a number with an optional unit B, K/kB/KB, M/MB, G/GB, T/TB
/// (case-insensitive); a bare number means `base_unit` bytes. nullopt when malformed or
/// overflowing.
std::optional<std::int64_t> ParseMemory(std::string_view text, std::int64_t base_unit);
/// Parses a duration: a number with an optional unit ms, s, min, h, d; a bare number means
/// `base_unit` ms. Negative numbers are allowed (-1 means "off" for some parameters).
std::optional<std::int64_t> ParseDuration(std::string_view text, std::int64_t base_unit);

}  // namespace dbaas::engines

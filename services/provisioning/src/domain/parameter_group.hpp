#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/common/id.hpp"

namespace dbaas::provisioning {

struct ParameterGroupTag {
  static constexpr std::string_view kPrefix = "pgr";
};
/// "pgr_..." ids of parameter groups.
using ParameterGroupId = Id<ParameterGroupTag>;

/// A named, versioned configuration template for one engine (Property 3). Built-in groups
/// (`default.postgresql15`, `default.mysql10.11`) have tenant_id "" and are read-only.
struct ParameterGroup {
  std::string id;
  std::string tenant_id;
  std::string name;
  /// "postgresql" or "mysql".
  std::string engine;
  std::string description;
  bool builtin = false;
  /// The current version (starts at 1; every parameter change adds one).
  std::int64_t version = 1;
  /// The current version's parameters (validated, canonical strings).
  std::map<std::string, std::string> parameters;
  std::int64_t revision = 1;
  TimePoint created_at{};
  TimePoint updated_at{};
};

/// One kept version of a group's parameters.
struct ParameterGroupVersion {
  std::int64_t version = 1;
  std::map<std::string, std::string> parameters;
  TimePoint created_at{};
};

/// The public form of a group.
nlohmann::json ParameterGroupToJson(const ParameterGroup& group);
nlohmann::json ParameterGroupVersionToJson(const ParameterGroupVersion& version);
/// The group's ETag (changes with every change to it), for If-Match.
std::string ParameterGroupEtag(const ParameterGroup& group);

/// The effective parameters of an instance: the group's overlaid by the instance's own.
std::map<std::string, std::string> EffectiveParameters(
    const std::map<std::string, std::string>& group,
    const std::map<std::string, std::string>& own);

/// The desired parameters of a PATCH: `current` with `patch` (an object, or nullptr for no
/// change) merged in, null removing a name; "parameters must be an object" otherwise.
nlohmann::json MergeParameterPatch(const std::map<std::string, std::string>& current,
                                   const nlohmann::json* patch,
                                   std::vector<FieldViolation>& problems);

}  // namespace dbaas::provisioning

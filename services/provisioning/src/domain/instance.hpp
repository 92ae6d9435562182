#pragma once

#include "dbaas/service/operation.hpp"

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/common/clock.hpp"

namespace dbaas::provisioning {

/// Lifecycle states (DESIGN/issue 4); "deleted" rows are kept for their operations' history
/// but never shown.
inline constexpr std::string_view kProvisioning = "provisioning";
inline constexpr std::string_view kRunning = "running";
inline constexpr std::string_view kStopped = "stopped";
inline constexpr std::string_view kFailed = "failed";
inline constexpr std::string_view kMaintenance = "maintenance";
inline constexpr std::string_view kDeleting = "deleting";
inline constexpr std::string_view kDeleted = "deleted";

/// One customer database instance as provisioning stores it.
struct Instance {
  std::string id;
  std::string tenant_id;
  std::string name;
  /// "postgresql" or "mysql".
  std::string engine;
  std::string version;
  std::string size;
  std::int64_t storage_gb = 0;
  /// The instance's own validated parameter values (canonical strings).
  std::map<std::string, std::string> parameters;
  /// The parameter group it is attached to, and the group's version last applied.
  std::optional<std::string> parameter_group_id;
  std::optional<std::string> parameter_group_name;
  std::optional<std::int64_t> parameter_group_version;
  /// What the server runs with: the group's parameters overlaid by `parameters`.
  std::map<std::string, std::string> effective_parameters;
  bool deletion_protection = false;
  std::map<std::string, std::string> labels;
  std::string status;
  /// Why it failed, or what it is doing.
  std::string status_detail;
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<std::string> server_version;
  std::optional<std::string> admin_user;
  std::optional<std::string> ca_pem;
  /// Settings changed while running that take effect at the next restart.
  std::vector<std::string> pending_restart;
  std::int64_t revision = 1;
  TimePoint created_at{};
  TimePoint updated_at{};
};

/// The public form (DESIGN's instance object); never holds the password.
nlohmann::json InstanceToJson(const Instance& instance);
/// The instance's ETag (changes with every change to it), for If-Match.
std::string InstanceEtag(const Instance& instance);

/// Operation states.
inline constexpr std::string_view kPending = "pending";
inline constexpr std::string_view kOpRunning = "running";
inline constexpr std::string_view kSucceeded = "succeeded";
inline constexpr std::string_view kOpFailed = "failed";

/// Long-running work on an instance ("create", "delete", "start", "stop", "restart",
/// "update", "apply_parameters").
struct Operation : service::OperationRecord {
  /// What an "update" applies: {"size","parameters","parameter_group_id"}; "apply_parameters":
  /// {"parameter_group_id","version"}.
  std::string spec = "{}";
};

nlohmann::json OperationToJson(const Operation& operation);

}  // namespace dbaas::provisioning

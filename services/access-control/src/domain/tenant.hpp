#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/id.hpp"

namespace dbaas::access_control {

/// What a tenant may consume. Zero means "none allowed".
struct TenantLimits {
  std::int64_t max_instances = 10;
  std::int64_t max_storage_gb = 500;
  std::int64_t max_backups = 100;
  std::int64_t max_connections = 1000;
  bool operator==(const TenantLimits&) const = default;
};

/// Upper bounds for each limit, so a typo cannot grant effectively unlimited resources.
struct LimitBounds {
  static constexpr std::int64_t kMaxInstances = 10'000;
  static constexpr std::int64_t kMaxStorageGb = 1'000'000;
  static constexpr std::int64_t kMaxBackups = 1'000'000;
  static constexpr std::int64_t kMaxConnections = 1'000'000;
};

struct Tenant {
  TenantId id = TenantId::Generate();
  std::string name;
  std::string display_name;
  bool active = true;
  TenantLimits limits;
  /// Incremented on every update; the ETag is derived from it.
  std::int64_t version = 1;
  TimePoint created_at;
  TimePoint updated_at;
};

/// The fields a client supplies when creating a tenant.
struct TenantSpec {
  std::string name;
  std::string display_name;
  TenantLimits limits;
};

/// A partial update; unset fields stay as they are. The name is immutable.
struct TenantPatch {
  std::optional<std::string> display_name;
  std::optional<bool> active;
  std::optional<std::int64_t> max_instances;
  std::optional<std::int64_t> max_storage_gb;
  std::optional<std::int64_t> max_backups;
  std::optional<std::int64_t> max_connections;
  bool Empty() const noexcept {
    return !display_name && !active && !max_instances && !max_storage_gb && !max_backups &&
           !max_connections;
  }
};

/// nullopt when `name` is a valid tenant name (3-63 characters: lower-case letters, digits and
/// hyphens, starting with a letter, not ending with a hyphen); otherwise what is wrong with it.
std::optional<std::string> CheckTenantName(std::string_view name);

/// Applies a patch, bumping version and updated_at. Pure.
Tenant ApplyPatch(Tenant tenant, const TenantPatch& patch, TimePoint now);

/// The strong ETag of a tenant version, e.g. "\"3\"".
std::string TenantEtag(const Tenant& tenant);

}  // namespace dbaas::access_control

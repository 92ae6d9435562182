#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/common/clock.hpp"

namespace dbaas::access_control {

/// A stored API key: metadata plus the SHA-256 of the key (auth::HashApiKey). The key itself is
/// shown once at creation and never stored.
struct ApiKeyRecord {
  std::string id;  ///< "key_..."
  /// Empty for platform keys.
  std::string tenant_id;
  std::string name;
  /// The non-secret lookup part of the key.
  std::string prefix;
  std::string key_hash;
  std::vector<std::string> roles;
  /// The subject (user or key id) that created it.
  std::string created_by;
  std::optional<TimePoint> expires_at;
  std::optional<TimePoint> revoked_at;
  TimePoint created_at;

  /// Neither revoked nor expired at `now`.
  bool Usable(TimePoint now) const noexcept {
    return !revoked_at && (!expires_at || now < *expires_at);
  }
};

/// What a client supplies to create an API key. `tenant_id` empty means the caller's tenant.
struct ApiKeySpec {
  std::string name;
  std::string tenant_id;
  std::vector<std::string> roles;
  std::optional<TimePoint> expires_at;
};

std::string NewApiKeyId();
bool IsApiKeyId(std::string_view id) noexcept;

}  // namespace dbaas::access_control

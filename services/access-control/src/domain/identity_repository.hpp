#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/api_key_record.hpp"
#include "domain/custom_role.hpp"
#include "domain/idempotency.hpp"
#include "domain/user.hpp"

namespace dbaas::events {
struct Event;
}

namespace dbaas::access_control {

struct UserListQuery {
  std::size_t page_size = 20;
  /// Users with ids greater than this (ids sort by creation time).
  std::optional<std::string> after_id;
  /// Only users of this tenant; "" selects platform users.
  std::optional<std::string> tenant_id;
};

struct UserPage {
  std::vector<User> users;
  /// The id of the last user when more may follow.
  std::optional<std::string> last_id;
};

struct RoleRowQuery {
  /// At most this many custom roles.
  std::size_t limit = 21;
  /// Custom roles with ids greater than this (ids sort by creation time).
  std::optional<std::string> after_id;
  /// Only custom roles of this tenant.
  std::optional<std::string> tenant_id;
};

struct ApiKeyListQuery {
  std::size_t page_size = 20;
  /// Keys with ids greater than this (ids sort by creation time).
  std::optional<std::string> after_id;
  /// Only keys of this tenant; "" selects platform keys.
  std::optional<std::string> tenant_id;
};

struct ApiKeyPage {
  std::vector<ApiKeyRecord> keys;
  /// The id of the last key when more may follow.
  std::optional<std::string> last_id;
};

/// A role held by a user, as stored.
struct RoleAssignment {
  std::string role;
  /// The tenant the assignment applies in; empty for platform users.
  std::string tenant_id;
};

/// Persistence of users, custom roles, role assignments and API keys. Every state change and
/// its event commit in one transaction (outbox). Implementations are thread-safe.
class IdentityRepository {
 public:
  virtual ~IdentityRepository() = default;

  /// Inserts the user with its initial role assignments and events; with `idempotency`, records
  /// the key too (ABORTED when a concurrent request recorded it first). Throws ALREADY_EXISTS
  /// naming "email" (or "username") when the login name is taken.
  virtual void CreateUser(const User& user, const std::vector<RoleAssignment>& roles,
                          const std::vector<events::Event>& events,
                          const std::optional<IdempotencyRecord>& idempotency) = 0;
  virtual std::optional<User> FindUser(const std::string& id) = 0;
  /// Case-insensitive lookup by login name.
  virtual std::optional<User> FindUserByUsername(const std::string& username) = 0;
  virtual UserPage ListUsers(const UserListQuery& query) = 0;
  /// Locks the row, calls `change` and stores the returned user and event in the same
  /// transaction. `change` may throw to abort. nullopt when not found.
  using UserChange = std::function<std::pair<User, events::Event>(const User& current)>;
  virtual std::optional<User> UpdateUser(const std::string& id, const UserChange& change) = 0;
  /// Locks the row and stores the brute-force state `change` returns and, when given,
  /// last_login_at (no event: this changes on every attempt). nullopt when not found.
  using LoginChange = std::function<LoginState(const LoginState& current)>;
  virtual std::optional<LoginState> UpdateLoginState(
      const std::string& id, const LoginChange& change,
      const std::optional<TimePoint>& last_login_at) = 0;
  /// Deletes the user (its assignments and refresh tokens go with it). False when not found.
  using DeleteUserEvent = std::function<events::Event(const User& deleted)>;
  virtual bool DeleteUser(const std::string& id, const DeleteUserEvent& event) = 0;
  /// Whether some user holds the platform-admin role.
  virtual bool AnyPlatformAdmin() = 0;

  virtual std::vector<RoleAssignment> Assignments(const std::string& user_id) = 0;
  /// Adds the assignment and its event; false (and no event) when the user already holds it.
  virtual bool Assign(const std::string& user_id, const RoleAssignment& assignment,
                      const events::Event& event) = 0;
  /// Removes the assignment and enqueues its event; false when the user does not hold it.
  virtual bool Unassign(const std::string& user_id, const std::string& role,
                        const events::Event& event) = 0;

  /// Throws ALREADY_EXISTS when the tenant already has a role of this name. `idempotency` as
  /// for CreateUser.
  virtual void CreateRole(const CustomRole& role, const events::Event& event,
                          const std::optional<IdempotencyRecord>& idempotency) = 0;
  virtual std::optional<CustomRole> FindRole(const std::string& id) = 0;
  virtual std::optional<CustomRole> FindRoleByName(const std::string& tenant_id,
                                                   const std::string& name) = 0;
  /// Custom roles ordered by id, as `query` selects (keyset: ids after `after_id`).
  virtual std::vector<CustomRole> ListRoles(const RoleRowQuery& query) = 0;
  using RoleChange = std::function<std::pair<CustomRole, events::Event>(const CustomRole& current)>;
  virtual std::optional<CustomRole> UpdateRole(const std::string& id, const RoleChange& change) = 0;
  /// Deletes the role. Throws FAILED_PRECONDITION while a user or an unrevoked API key holds
  /// it. False when not found.
  using DeleteRoleEvent = std::function<events::Event(const CustomRole& deleted)>;
  virtual bool DeleteRole(const std::string& id, const DeleteRoleEvent& event) = 0;

  /// `idempotency` as for CreateUser; it never holds the key's secret.
  virtual void CreateApiKey(const ApiKeyRecord& key, const events::Event& event,
                            const std::optional<IdempotencyRecord>& idempotency) = 0;
  virtual std::optional<ApiKeyRecord> FindApiKey(const std::string& id) = 0;
  virtual std::optional<ApiKeyRecord> FindApiKeyByPrefix(const std::string& prefix) = 0;
  /// A page of keys ordered by id (keyset pagination, as ListUsers).
  virtual ApiKeyPage ListApiKeys(const ApiKeyListQuery& query) = 0;
  /// Sets revoked_at (first revocation only) and enqueues the event. nullopt when not found.
  using RevokeKeyEvent = std::function<events::Event(const ApiKeyRecord& revoked)>;
  virtual std::optional<ApiKeyRecord> RevokeApiKey(const std::string& id, TimePoint now,
                                                   const RevokeKeyEvent& event) = 0;
};

}  // namespace dbaas::access_control

#pragma once

#include "domain/identity_repository.hpp"

namespace dbaas::store {
class Pool;
}

namespace dbaas::access_control {

/// IdentityRepository over the service's PostgreSQL database. Thread-safe (the pool is).
class PgIdentityRepository final : public IdentityRepository {
 public:
  explicit PgIdentityRepository(store::Pool& pool) : pool_(pool) {}

  void CreateUser(const User& user, const std::vector<RoleAssignment>& roles,
                  const std::vector<events::Event>& events,
                  const std::optional<IdempotencyRecord>& idempotency) override;
  std::optional<User> FindUser(const std::string& id) override;
  std::optional<User> FindUserByUsername(const std::string& username) override;
  UserPage ListUsers(const UserListQuery& query) override;
  std::optional<User> UpdateUser(const std::string& id, const UserChange& change) override;
  std::optional<LoginState> UpdateLoginState(
      const std::string& id, const LoginChange& change,
      const std::optional<TimePoint>& last_login_at) override;
  bool DeleteUser(const std::string& id, const DeleteUserEvent& event) override;
  bool AnyPlatformAdmin() override;

  std::vector<RoleAssignment> Assignments(const std::string& user_id) override;
  bool Assign(const std::string& user_id, const RoleAssignment& assignment,
              const events::Event& event) override;
  bool Unassign(const std::string& user_id, const std::string& role,
                const events::Event& event) override;

  void CreateRole(const CustomRole& role, const events::Event& event,
                  const std::optional<IdempotencyRecord>& idempotency) override;
  std::optional<CustomRole> FindRole(const std::string& id) override;
  std::optional<CustomRole> FindRoleByName(const std::string& tenant_id,
                                           const std::string& name) override;
  std::vector<CustomRole> ListRoles(const RoleRowQuery& query) override;
  std::optional<CustomRole> UpdateRole(const std::string& id, const RoleChange& change) override;
  bool DeleteRole(const std::string& id, const DeleteRoleEvent& event) override;

  void CreateApiKey(const ApiKeyRecord& key, const events::Event& event,
                    const std::optional<IdempotencyRecord>& idempotency) override;
  std::optional<ApiKeyRecord> FindApiKey(const std::string& id) override;
  std::optional<ApiKeyRecord> FindApiKeyByPrefix(const std::string& prefix) override;
  ApiKeyPage ListApiKeys(const ApiKeyListQuery& query) override;
  std::optional<ApiKeyRecord> RevokeApiKey(const std::string& id, TimePoint now,
                                           const RevokeKeyEvent& event) override;

 private:
  store::Pool& pool_;
};

}  // namespace dbaas::access_control

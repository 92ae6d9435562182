#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dbaas/auth/identity.hpp"
#include "dbaas/common/clock.hpp"
#include "repository/pg_parameter_group_repository.hpp"

namespace dbaas::provisioning {

/// What POST /v1/parameter-groups answers: the group, and whether an earlier request with the
/// same Idempotency-Key made it.
struct CreatedGroup {
  ParameterGroup group;
  bool replayed = false;
};

/// What PATCH answers: the group and the apply_parameters operations a new version started.
struct UpdatedGroup {
  ParameterGroup group;
  std::vector<Operation> operations;
};

/// The parameter group API's rules (Property 3): every parameter validated for the group's
/// engine with the instance rules (all problems at once), names unique per tenant and engine,
/// tenant scoping (another tenant's group is NOT_FOUND; built-in groups are visible to all and
/// read-only), versions, and one apply_parameters operation per attached instance when the
/// parameters change. Thread-safe.
class ParameterGroupService {
 public:
  ParameterGroupService(PgParameterGroupRepository& repository, const Clock& clock)
      : repository_(repository), clock_(clock) {}

  /// Validates `body` ({"name","engine","description","parameters","tenant_id" (platform
  /// admins)}) and records the group at version 1.
  CreatedGroup Create(const auth::Identity& caller, const nlohmann::json& body,
                      const std::optional<std::string>& idempotency_key,
                      const std::string& request_id);
  ParameterGroupPage List(const auth::Identity& caller, ParameterGroupQuery query);
  /// By id, or by name when the caller's tenant (or the built-ins) has exactly one group of
  /// that name.
  ParameterGroup Get(const auth::Identity& caller, const std::string& id_or_name);
  ParameterGroupVersionPage Versions(const auth::Identity& caller, const std::string& id,
                                     std::optional<std::int64_t> after, std::size_t page_size);
  /// PATCH {"description","parameters"}: parameters merge into the current ones (null removes
  /// one); a change makes a new version and starts apply_parameters on every attached
  /// instance. `if_match` must equal the ETag when given (ABORTED). Built-in groups are
  /// FAILED_PRECONDITION.
  UpdatedGroup Update(const auth::Identity& caller, const std::string& id,
                      const nlohmann::json& body, const std::optional<std::string>& if_match,
                      const std::string& request_id);
  /// FAILED_PRECONDITION while instances use the group (naming them) and for built-ins.
  void Delete(const auth::Identity& caller, const std::string& id, const std::string& request_id);

  /// The group `ref` (a JSON string: id or name) names for an instance of `engine` in
  /// `tenant_id`; problems (unknown group, another engine's group) are appended with field
  /// "parameter_group" and nullopt returned.
  std::optional<ParameterGroup> Resolve(const std::string& tenant_id, const std::string& engine,
                                        const nlohmann::json& ref,
                                        std::vector<FieldViolation>& problems);

 private:
  ParameterGroup Visible(const auth::Identity& caller, const std::string& id,
                         std::string_view action);

  PgParameterGroupRepository& repository_;
  const Clock& clock_;
};

}  // namespace dbaas::provisioning

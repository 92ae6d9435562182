#pragma once

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dbaas/auth/identity.hpp"
#include "dbaas/common/clock.hpp"
#include "dbaas/engines/catalog.hpp"
#include "domain/parameter_group_service.hpp"
#include "repository/pg_provisioning_repository.hpp"

namespace dbaas::crypto {
class KeyRing;
}

namespace dbaas::provisioning {

/// What POST /v1/instances answers: the instance (provisioning) and its create operation.
struct Accepted {
  Instance instance;
  Operation operation;
  bool replayed = false;  ///< an Idempotency-Key repeat: nothing new was made
};

/// The instance's administrator credentials (GET /v1/instances/{id}/credentials).
struct Credentials {
  std::string username;
  std::string password;
  std::string uri;
  std::string ca_pem;
};

/// The instance API's rules: validation of every field at once (Property 4), tenant scoping
/// (another tenant's instance is NOT_FOUND), limits, deletion protection, and the lifecycle
/// operations the runner then carries out. Thread-safe.
class InstanceService {
 public:
  InstanceService(PgProvisioningRepository& repository, ParameterGroupService& groups,
                  std::vector<engines::EngineInfo> engines, const crypto::KeyRing& keys,
                  const Clock& clock)
      : repository_(repository),
        groups_(groups),
        engines_(std::move(engines)),
        keys_(keys),
        clock_(clock) {}

  /// Validates `body` ({"name","engine","version","size","storage_gb","parameters",
  /// "parameter_group" (id or name of a group of the same engine), "deletion_protection",
  /// "labels","tenant_id" (platform admins)}) and records the instance
  /// and its create operation. INVALID_ARGUMENT lists every problem; nothing is created then.
  /// With an `idempotency_key` (the Idempotency-Key header), a repeat of the same request by
  /// the same caller answers the first create's instance and operation (`replayed`).
  Accepted Create(const auth::Identity& caller, const nlohmann::json& body,
                  const std::string& request_id,
                  const std::optional<std::string>& idempotency_key = std::nullopt);
  InstancePage List(const auth::Identity& caller, InstanceQuery query);
  Instance Get(const auth::Identity& caller, const std::string& id);
  /// PATCH: deletion_protection, labels and storage_gb change at once; size, parameters
  /// (merged into the current ones; null removes one) and parameter_group (id or name; null
  /// detaches) through an "update" operation that the
  /// runtime applies (dynamic settings live, static ones at a restart it makes). Every problem
  /// is reported at once; `if_match` must equal the instance's ETag when given (ABORTED).
  std::pair<Instance, std::optional<Operation>> Update(const auth::Identity& caller,
                                                       const std::string& id,
                                                       const nlohmann::json& body,
                                                       const std::optional<std::string>& if_match,
                                                       const std::string& request_id);
  /// "start", "stop", "restart" or "delete": checks and records the operation.
  Operation Lifecycle(const auth::Identity& caller, const std::string& id,
                      const std::string& verb, const std::string& request_id);
  Operation GetOperation(const auth::Identity& caller, const std::string& id);
  Credentials GetCredentials(const auth::Identity& caller, const std::string& id);

  const std::vector<engines::EngineInfo>& Engines() const noexcept { return engines_; }

  /// Called after an operation is recorded (committed), so an idle runner starts it at once
  /// instead of at its next poll. Set before serving requests.
  void OnOperationQueued(std::function<void()> callback) { queued_ = std::move(callback); }

 private:
  void NotifyQueued() const {
    if (queued_) queued_();
  }

  PgProvisioningRepository& repository_;
  ParameterGroupService& groups_;
  std::vector<engines::EngineInfo> engines_;
  const crypto::KeyRing& keys_;
  const Clock& clock_;
  std::function<void()> queued_;
};

/// The event of subject dbaas.provisioning.instance.<verb> describing `instance`.
events::Event InstanceEventFor(const Instance& instance, const std::string& verb,
                               const std::string& operation_id, const std::string& request_id);

}  // namespace dbaas::provisioning

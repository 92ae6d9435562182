#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "dbaas/events/event.hpp"
#include "dbaas/store/store.hpp"
#include "domain/instance.hpp"

namespace dbaas::provisioning {

struct InstanceQuery {
  /// Only this tenant's instances (always set for tenant callers).
  std::optional<std::string> tenant_id;
  std::optional<std::string> engine;
  std::optional<std::string> status;
  std::size_t page_size = 20;
  /// Instances with ids greater than this (ids sort by creation time).
  std::optional<std::string> after_id;
};

struct InstancePage {
  std::vector<Instance> instances;
  std::optional<std::string> last_id;
};

/// A state change an operation's end makes to its instance.
struct InstanceChange {
  std::string status;
  std::string status_detail;
  /// Set on a successful create; sealed_password is base64url of the sealed envelope.
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<std::string> server_version;
  std::optional<std::string> admin_user;
  std::optional<std::string> ca_pem;
  std::optional<std::string> sealed_password;
  /// Destroys the stored credentials (delete).
  bool clear_credentials = false;
  /// Set by a successful update.
  std::optional<std::string> size;
  std::optional<std::map<std::string, std::string>> parameters;
  std::optional<std::vector<std::string>> pending_restart;
  /// Set by create, update and apply_parameters: what the server now runs with and the group
  /// (and version) it came from; `set_parameter_group` with no id detaches.
  std::optional<std::map<std::string, std::string>> effective_parameters;
  bool set_parameter_group = false;
  std::optional<std::string> parameter_group_id;
  std::optional<std::int64_t> parameter_group_version;
};

/// Changes PATCH applies at once (no operation needed).
struct InstanceMetadata {
  std::optional<bool> deletion_protection;
  std::optional<std::map<std::string, std::string>> labels;
  std::optional<std::int64_t> storage_gb;
};

/// Instances, operations and tenant limits in provisioning's own database. Every state change
/// and the event describing it are written in one transaction. Thread-safe.
/// Inserts `operation` in `tx` (shared with the parameter group repository).
void InsertOperation(store::Tx& tx, const Operation& operation);

/// An Idempotency-Key sent with a create, its caller and the request's fingerprint.
struct CreateIdempotency {
  std::string key;
  std::string caller;
  std::string request_hash;
};

class PgProvisioningRepository {
 public:
  explicit PgProvisioningRepository(store::Pool& pool) : pool_(pool) {}

  void UpsertTenantLimits(store::Tx& tx, const std::string& tenant_id, bool active,
                          std::int64_t max_instances, std::int64_t max_storage_gb);

  /// Inserts a provisioning instance, its create operation and `event`, after checking the
  /// tenant's limits under a lock on its row: FAILED_PRECONDITION for an unknown or inactive
  /// tenant, RESOURCE_EXHAUSTED naming the limit, ALREADY_EXISTS for a taken name.
  /// With `idempotency`, a create already made by the same caller with the same key answers
  /// that instance and its create operation (returned) instead of making another; the same key
  /// with a different request is INVALID_ARGUMENT.
  std::optional<std::pair<Instance, Operation>> CreateInstance(
      const Instance& instance, const Operation& operation, const events::Event& event,
      const std::optional<CreateIdempotency>& idempotency = std::nullopt);
  std::optional<Instance> FindInstance(const std::string& id);
  /// Applies `metadata` when the instance's revision is still `revision` (ABORTED otherwise,
  /// NOT_FOUND when gone); enqueues the event made from the result. With `operation` also
  /// starts it (as BeginOperation: running instance, none open, status maintenance).
  Instance UpdateInstance(const std::string& id, std::int64_t revision,
                          const InstanceMetadata& metadata, const std::optional<Operation>& operation,
                          const std::function<events::Event(const Instance&)>& event_for);
  InstancePage ListInstances(const InstanceQuery& query);

  /// Starts a lifecycle operation: the instance must exist (NOT_FOUND), be in one of
  /// `allowed` states and have no open operation (FAILED_PRECONDITION); `check` may throw to
  /// refuse (e.g. deletion protection). Sets `new_status` and stores `operation` and the event
  /// made by `event_for` from the updated instance.
  Instance BeginOperation(const std::string& instance_id, const std::vector<std::string>& allowed,
                          const std::string& new_status, const Operation& operation,
                          const std::function<void(const Instance&)>& check,
                          const std::function<events::Event(const Instance&)>& event_for);

  /// Takes the oldest open operation whose lease is free (pending, or running with an expired
  /// lease: its runner died) and that is the oldest open one of its instance (so one
  /// instance's operations run one after another), and leases it until now + lease.
  std::optional<Operation> ClaimOperation(std::chrono::milliseconds lease);
  void RenewLease(const std::string& operation_id, std::chrono::milliseconds lease);
  void SetProgress(const std::string& operation_id, int progress, const std::string& step);
  /// Ends an operation (succeeded or failed with `error`), applies `change` to its instance and
  /// enqueues the event made from the changed instance.
  void FinishOperation(const Operation& operation, std::optional<Error> error,
                       const InstanceChange& change,
                       const std::function<events::Event(const Instance&)>& event_for);
  std::optional<Operation> FindOperation(const std::string& id);
  std::optional<std::string> SealedPassword(const std::string& instance_id);

  /// Instances that should be running (for the health check).
  std::vector<Instance> RunningInstances();
  /// Marks a running instance failed (no-op when it changed meanwhile); true when it did.
  bool MarkFailed(const std::string& instance_id, const std::string& detail,
                  const std::function<events::Event(const Instance&)>& event_for);

 private:
  store::Pool& pool_;
};

}  // namespace dbaas::provisioning

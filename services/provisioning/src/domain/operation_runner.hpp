#pragma once

#include "dbaas/service/worker_pool.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "dbaas/runtime/runtime.hpp"
#include "repository/pg_parameter_group_repository.hpp"
#include "repository/pg_provisioning_repository.hpp"

namespace dbaas::crypto {
class KeyRing;
}

namespace dbaas::provisioning {

struct RunnerConfig {
  /// Operations run at once (each on its own instance).
  int workers = 4;
  /// How long a claimed operation stays leased without a renewal; an operation whose runner
  /// died is taken up again after this (DBAAS_OPERATION_LEASE).
  std::chrono::milliseconds lease{30000};
  /// How often idle workers look for work queued elsewhere (another replica, an expired
  /// lease); work queued by this process wakes a worker at once (Wake).
  std::chrono::milliseconds poll{1000};
};

/// Carries out instance operations through the Runtime ("create", "delete", "start", "stop",
/// "restart", "update", and "apply_parameters" of a parameter group's new version): claims the oldest open operation with
/// a free lease, renews the lease while it works, records progress, and ends it with the
/// instance's new state and event. An operation interrupted by a crash is claimed again and
/// redone from the start (a create first removes whatever the earlier attempt left).
/// Thread-safe.
class OperationRunner {
 public:
  OperationRunner(PgProvisioningRepository& repository, PgParameterGroupRepository& groups,
                  runtime::Runtime& runtime, const crypto::KeyRing& keys, RunnerConfig config);
  ~OperationRunner();
  OperationRunner(const OperationRunner&) = delete;
  OperationRunner& operator=(const OperationRunner&) = delete;

  void Start() { pool_.Start(); }
  /// Lets running operations finish their current runtime call, then joins.
  void Stop() { pool_.Stop(); }
  /// Claims and runs one operation; false when there was none (tests).
  bool RunOnce();
  /// Tells an idle worker that an operation was just queued.
  void Wake() { pool_.Wake(); }

 private:
  void Run(const Operation& operation);
  /// Applies the instance's effective parameters (its group's latest version overlaid by its
  /// own) with the runtime; `change` gets what was applied.
  void ApplyParameters(const Instance& instance, const Operation& operation,
                       runtime::ResizeSpec resize, const std::optional<std::string>& group_id,
                       InstanceChange& change);

  PgProvisioningRepository& repository_;
  PgParameterGroupRepository& groups_;
  runtime::Runtime& runtime_;
  const crypto::KeyRing& keys_;
  RunnerConfig config_;
  service::WorkerPool pool_;  // last: its threads use the members above
};

/// Compares every instance that should be running with the runtime's real health check and
/// marks a dead one failed (with an instance.failed event). Run it every few seconds.
void CheckInstanceHealth(PgProvisioningRepository& repository, runtime::Runtime& runtime);

}  // namespace dbaas::provisioning

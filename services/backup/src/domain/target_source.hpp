#pragma once

#include "domain/backup.hpp"
#include "domain/backup_executor.hpp"

namespace dbaas::backup {

/// Where the endpoint and administrator credentials of an instance come from (provisioning's
/// REST API in the service). Thread-safe.
class TargetSource {
 public:
  virtual ~TargetSource() = default;
  /// Throws Error{FAILED_PRECONDITION} when the instance is not running or has no endpoint,
  /// Error{NOT_FOUND} when it is gone, Error{UNAVAILABLE} when it cannot be asked.
  virtual BackupTarget Resolve(const KnownInstance& instance) = 0;
};

}  // namespace dbaas::backup

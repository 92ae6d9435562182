#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "dbaas/common/clock.hpp"

namespace dbaas::store {
class Row;
}

namespace dbaas::service {

/// What every service's long-running operation holds (DESIGN: `id, type, target, status,
/// progress, error, created_at, updated_at`); a service derives its own Operation from it and
/// adds what only it needs. Stored in each service's own `operations` table with these columns.
struct OperationRecord {
  std::string id;
  std::string tenant_id;
  std::string type;
  /// What it works on (an instance id, a backup id).
  std::string target;
  std::string status;  ///< "pending", "running", "succeeded", "failed"
  int progress = 0;
  /// What it is doing now, e.g. "starting the server".
  std::string step;
  std::optional<std::string> error_code;
  std::optional<std::string> error_message;
  std::string request_id;
  int attempts = 0;
  TimePoint created_at{};
  TimePoint updated_at{};
};

/// The public form of the common fields (`error` is null or {"code","message"}).
nlohmann::json OperationRecordToJson(const OperationRecord& operation);

/// Reads the common columns of an operations row (times as RFC 3339 text).
void ReadOperationRecord(const store::Row& row, OperationRecord& operation);

}  // namespace dbaas::service

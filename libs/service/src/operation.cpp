#include "dbaas/service/operation.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"
#include "dbaas/store/store.hpp"

namespace dbaas::service {
namespace {

TimePoint Time(const store::Row& row, std::string_view column) {
  auto t = ParseRfc3339(row.Get(column));
  if (!t) throw Error(ErrorCode::kInternal, "stored timestamp is malformed");
  return *t;
}

}  // namespace

nlohmann::json OperationRecordToJson(const OperationRecord& o) {
  nlohmann::json error = nullptr;
  if (o.error_code) error = {{"code", *o.error_code}, {"message", o.error_message.value_or("")}};
  return {{"id", o.id},
          {"type", o.type},
          {"target", o.target},
          {"tenant_id", o.tenant_id},
          {"status", o.status},
          {"progress", o.progress},
          {"step", o.step},
          {"error", error},
          {"attempts", o.attempts},
          {"created_at", FormatRfc3339(o.created_at)},
          {"updated_at", FormatRfc3339(o.updated_at)}};
}

void ReadOperationRecord(const store::Row& row, OperationRecord& o) {
  o.id = row.Get("id");
  o.tenant_id = row.Get("tenant_id");
  o.type = row.Get("type");
  o.target = row.Get("target");
  o.status = row.Get("status");
  o.progress = static_cast<int>(row.GetInt("progress"));
  o.step = row.Get("step");
  o.error_code = row.Optional("error_code");
  o.error_message = row.Optional("error_message");
  o.request_id = row.Get("request_id");
  o.attempts = static_cast<int>(row.GetInt("attempts"));
  o.created_at = Time(row, "created_at");
  o.updated_at = Time(row, "updated_at");
}

}  // namespace dbaas::service

#include "domain/instance.hpp"

#include <nlohmann/json.hpp>

namespace dbaas::provisioning {

nlohmann::json InstanceToJson(const Instance& i) {
  nlohmann::json out{{"id", i.id},
                     {"tenant_id", i.tenant_id},
                     {"name", i.name},
                     {"engine", i.engine},
                     {"version", i.version},
                     {"size", i.size},
                     {"storage_gb", i.storage_gb},
                     {"parameters", i.parameters},
                     {"parameter_group", nullptr},
                     {"effective_parameters", i.effective_parameters},
                     {"deletion_protection", i.deletion_protection},
                     {"labels", i.labels},
                     {"status", i.status},
                     {"status_detail", i.status_detail.empty() ? nlohmann::json(nullptr)
                                                               : nlohmann::json(i.status_detail)},
                     {"endpoint", nullptr},
                     {"server_version", i.server_version ? nlohmann::json(*i.server_version)
                                                         : nlohmann::json(nullptr)},
                     {"pending_restart", i.pending_restart},
                     {"created_at", FormatRfc3339(i.created_at)},
                     {"updated_at", FormatRfc3339(i.updated_at)}};
  if (i.parameter_group_id) {
    out["parameter_group"] = {{"id", *i.parameter_group_id},
                              {"name", i.parameter_group_name.value_or("")},
                              {"version", i.parameter_group_version.value_or(0)}};
  }
  if (i.host && i.port) out["endpoint"] = {{"host", *i.host}, {"port", *i.port}};
  return out;
}

std::string InstanceEtag(const Instance& instance) {
  return "\"r" + std::to_string(instance.revision) + "\"";
}

nlohmann::json OperationToJson(const Operation& o) { return service::OperationRecordToJson(o); }

}  // namespace dbaas::provisioning

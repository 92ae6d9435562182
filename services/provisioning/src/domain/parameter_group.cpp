#include "domain/parameter_group.hpp"

#include <nlohmann/json.hpp>

namespace dbaas::provisioning {

nlohmann::json ParameterGroupToJson(const ParameterGroup& g) {
  return {{"id", g.id},
          {"tenant_id", g.tenant_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(g.tenant_id)},
          {"name", g.name},
          {"engine", g.engine},
          {"description", g.description},
          {"builtin", g.builtin},
          {"version", g.version},
          {"parameters", g.parameters},
          {"created_at", FormatRfc3339(g.created_at)},
          {"updated_at", FormatRfc3339(g.updated_at)}};
}

nlohmann::json ParameterGroupVersionToJson(const ParameterGroupVersion& v) {
  return {{"version", v.version},
          {"parameters", v.parameters},
          {"created_at", FormatRfc3339(v.created_at)}};
}

std::string ParameterGroupEtag(const ParameterGroup& group) {
  return "\"r" + std::to_string(group.revision) + "\"";
}

std::map<std::string, std::string> EffectiveParameters(
    const std::map<std::string, std::string>& group,
    const std::map<std::string, std::string>& own) {
  auto out = group;
  for (const auto& [name, value] : own) out[name] = value;
  return out;
}

nlohmann::json MergeParameterPatch(const std::map<std::string, std::string>& current,
                                   const nlohmann::json* patch,
                                   std::vector<FieldViolation>& problems) {
  nlohmann::json merged = nlohmann::json::object();
  for (const auto& [name, value] : current) merged[name] = value;
  if (patch == nullptr) return merged;
  if (!patch->is_object()) {
    problems.push_back({"parameters", "must be an object"});
    return merged;
  }
  for (const auto& [name, value] : patch->items()) {
    if (value.is_null()) {
      merged.erase(name);
    } else {
      merged[name] = value;
    }
  }
  return merged;
}

}  // namespace dbaas::provisioning

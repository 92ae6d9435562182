#include "domain/parameter_group_service.hpp"

#include <nlohmann/json.hpp>
#include <regex>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/common/json.hpp"
#include "dbaas/engines/catalog.hpp"
#include "dbaas/engines/validation.hpp"
#include "dbaas/events/v1/parameter_group.pb.h"
#include "domain/access.hpp"

namespace dbaas::provisioning {
namespace {

constexpr std::string_view kResource = "parameter-groups";

bool IsGroupName(const std::string& name) {
  // No dots: names with a dot ("default.postgresql15") are the built-in groups'.
  static const std::regex pattern("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$");
  return std::regex_match(name, pattern);
}

events::Event GroupEvent(const ParameterGroup& g, const std::string& verb,
                         const std::vector<Operation>& operations, const std::string& request_id) {
  events::v1::ParameterGroupEvent msg;
  msg.set_parameter_group_id(g.id);
  msg.set_tenant_id(g.tenant_id);
  msg.set_name(g.name);
  msg.set_engine(g.engine);
  msg.set_version(g.version);
  for (const auto& [name, value] : g.parameters) (*msg.mutable_parameters())[name] = value;
  for (const auto& op : operations) msg.add_operation_ids(op.id);
  return events::MakeEvent("dbaas.provisioning.parameter-group." + verb, "provisioning",
                           g.tenant_id, msg, request_id);
}

void RefuseBuiltin(const ParameterGroup& g) {
  if (!g.builtin) return;
  throw Error(ErrorCode::kFailedPrecondition,
              "parameter group " + g.name + " is built in and read-only", {},
              {"create your own group (POST /v1/parameter-groups) and attach that"});
}

}  // namespace

CreatedGroup ParameterGroupService::Create(const auth::Identity& caller,
                                           const nlohmann::json& body,
                                           const std::optional<std::string>& idempotency_key,
                                           const std::string& request_id) {
  json::Reader reader(body);
  const auto tenant_request = reader.String("tenant_id", false, 1, 64);
  const auto name = reader.String("name", true, 1, 63);
  const auto engine = reader.String("engine", true, 1, 32);
  const auto description = reader.String("description", false, 0, 256);
  const nlohmann::json* parameters = reader.Member("parameters", false);
  reader.RejectUnknown({"tenant_id", "name", "engine", "description", "parameters"});
  std::vector<FieldViolation> problems = reader.Violations();
  if (name && !IsGroupName(*name)) {
    problems.push_back({"name", "must be 1-63 of a-z, 0-9 and '-', starting with a letter and "
                                "not ending with '-'"});
  }
  // Not an optional: GCC 12 warns about a maybe-uninitialized optional<enum> below.
  auto parsed_engine = engines::Engine::kPostgresql;
  const bool engine_ok = engine && engines::ParseEngine(*engine);
  if (engine_ok) parsed_engine = *engines::ParseEngine(*engine);
  if (engine && !engine_ok) problems.push_back({"engine", "must be postgresql or mysql"});
  engines::ParameterValues values;
  if (engine_ok && parameters != nullptr) {
    values = engines::ValidateParameters(parsed_engine, *parameters, problems);
  }
  if (idempotency_key && (idempotency_key->empty() || idempotency_key->size() > 255)) {
    problems.push_back({"Idempotency-Key", "must be 1-255 characters"});
  }
  const std::string tenant_id = ActingTenant(caller, tenant_request, problems);
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "the parameter group request is invalid",
                std::move(problems));
  }
  Require(caller, kResource, "create", tenant_id);

  ParameterGroup group;
  group.id = ParameterGroupId::Generate().str();
  group.tenant_id = tenant_id;
  group.name = *name;
  group.engine = std::string(engines::EngineName(parsed_engine));
  group.description = description.value_or("");
  group.parameters = std::move(values);
  group.created_at = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.Now());
  group.updated_at = group.created_at;
  std::optional<GroupIdempotency> idempotency;
  if (idempotency_key) {
    idempotency = GroupIdempotency{*idempotency_key, caller.subject,
                                   crypto::Sha256Hex(tenant_id + "\n" + body.dump())};
  }
  auto [stored, replayed] =
      repository_.Create(group, idempotency, [&](const ParameterGroup& g) {
        return GroupEvent(g, "created", {}, request_id);
      });
  return {std::move(stored), replayed};
}

ParameterGroupPage ParameterGroupService::List(const auth::Identity& caller,
                                               ParameterGroupQuery query) {
  if (caller.IsPlatformAdmin()) {
    Require(caller, kResource, "read", query.tenant_id.value_or(""));
  } else {
    Require(caller, kResource, "read", query.tenant_id.value_or(caller.tenant_id));
    query.tenant_id = caller.tenant_id;
  }
  return repository_.List(query);
}

ParameterGroup ParameterGroupService::Visible(const auth::Identity& caller, const std::string& id,
                                              std::string_view action) {
  std::optional<ParameterGroup> group;
  if (ParameterGroupId::Parse(id)) {
    group = repository_.Find(id);
  } else {
    auto named = repository_.FindByName(caller.tenant_id, id);
    if (named.size() > 1) {
      throw Error(ErrorCode::kInvalidArgument,
                  "more than one parameter group is named " + id + " (one per engine)", {},
                  {"use the group's id (GET /v1/parameter-groups?engine=...)"});
    }
    if (!named.empty()) group = std::move(named.front());
  }
  if (!group) throw Error(ErrorCode::kNotFound, "parameter group " + id + " not found");
  if (group->builtin && action == "read") {
    Require(caller, kResource, "read", caller.tenant_id);
  } else {
    Require(caller, kResource, action, group->tenant_id);
  }
  return *group;
}

ParameterGroup ParameterGroupService::Get(const auth::Identity& caller,
                                          const std::string& id_or_name) {
  return Visible(caller, id_or_name, "read");
}

ParameterGroupVersionPage ParameterGroupService::Versions(const auth::Identity& caller,
                                                          const std::string& id,
                                                          std::optional<std::int64_t> after,
                                                          std::size_t page_size) {
  const auto group = Visible(caller, id, "read");
  return repository_.Versions(group.id, after, page_size);
}

UpdatedGroup ParameterGroupService::Update(const auth::Identity& caller, const std::string& id,
                                           const nlohmann::json& body,
                                           const std::optional<std::string>& if_match,
                                           const std::string& request_id) {
  const auto group = Visible(caller, id, "read");
  Require(caller, kResource, "update", group.tenant_id);
  json::Reader reader(body);
  const auto description = reader.String("description", false, 0, 256);
  const nlohmann::json* parameters = reader.Member("parameters", false);
  reader.RejectUnknown({"description", "parameters"});
  std::vector<FieldViolation> problems = reader.Violations();
  if (body.is_object() && body.empty()) problems.push_back({"", "nothing to change"});
  const nlohmann::json merged = MergeParameterPatch(group.parameters, parameters, problems);
  const auto engine = engines::ParseEngine(group.engine).value_or(engines::Engine::kPostgresql);
  const auto values = engines::ValidateParameters(engine, merged, problems);
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "the parameter group change is invalid",
                std::move(problems));
  }
  RefuseBuiltin(group);
  if (if_match && *if_match != "*" && *if_match != ParameterGroupEtag(group)) {
    throw Error(ErrorCode::kAborted,
                "parameter group " + group.id + " changed since it was read (ETag " +
                    ParameterGroupEtag(group) + ", If-Match " + *if_match + ")",
                {}, {"GET it again and repeat the change"});
  }
  ParameterGroupChange change;
  change.description = description;
  if (values != group.parameters) change.parameters = values;
  const auto now = clock_.Now();
  const auto new_version = group.version + 1;
  auto [updated, operations] = repository_.Update(
      group.id, group.revision, change,
      [&](const AttachedInstance& instance) {
        Operation op;
        op.id = OperationId::Generate().str();
        op.tenant_id = instance.tenant_id;
        op.type = "apply_parameters";
        op.target = instance.id;
        op.status = "pending";
        op.step = "waiting to start";
        op.request_id = request_id;
        op.spec = nlohmann::json{{"parameter_group_id", group.id}, {"version", new_version}}.dump();
        op.created_at = now;
        op.updated_at = now;
        return op;
      },
      [&](const ParameterGroup& g, const std::vector<Operation>& ops) {
        return GroupEvent(g, "updated", ops, request_id);
      });
  return {std::move(updated), std::move(operations)};
}

void ParameterGroupService::Delete(const auth::Identity& caller, const std::string& id,
                                   const std::string& request_id) {
  const auto group = Visible(caller, id, "read");
  Require(caller, kResource, "delete", group.tenant_id);
  RefuseBuiltin(group);
  repository_.Delete(group.id, [&](const ParameterGroup& g) {
    return GroupEvent(g, "deleted", {}, request_id);
  });
}

std::optional<ParameterGroup> ParameterGroupService::Resolve(const std::string& tenant_id,
                                                             const std::string& engine,
                                                             const nlohmann::json& ref,
                                                             std::vector<FieldViolation>& problems) {
  if (!ref.is_string() || ref.get<std::string>().empty()) {
    problems.push_back({"parameter_group", "must be a parameter group's id or name"});
    return std::nullopt;
  }
  const auto text = ref.get<std::string>();
  std::vector<ParameterGroup> candidates;
  if (ParameterGroupId::Parse(text)) {
    if (auto g = repository_.Find(text); g && (g->builtin || g->tenant_id == tenant_id)) {
      candidates.push_back(std::move(*g));
    }
  } else {
    candidates = repository_.FindByName(tenant_id, text);
  }
  if (candidates.empty()) {
    problems.push_back({"parameter_group", "no parameter group " + text + " in this tenant"});
    return std::nullopt;
  }
  for (auto& g : candidates) {
    if (g.engine == engine) return std::move(g);
  }
  problems.push_back({"parameter_group", "parameter group " + text + " is for " +
                                             candidates.front().engine + "; this instance is " +
                                             engine});
  return std::nullopt;
}

}  // namespace dbaas::provisioning

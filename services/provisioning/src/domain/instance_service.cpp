#include "domain/instance_service.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>

#include "dbaas/auth/authorize.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/common/id.hpp"
#include "dbaas/common/json.hpp"
#include "dbaas/engines/uri.hpp"
#include "dbaas/engines/validation.hpp"
#include "dbaas/events/v1/instance.pb.h"
#include "domain/access.hpp"

namespace dbaas::provisioning {
namespace {

constexpr std::string_view kResource = "instances";
constexpr std::size_t kMaxLabels = 32;

bool IsInstanceName(const std::string& name) {
  static const std::regex pattern("^[a-z][a-z0-9-]{0,61}[a-z0-9]$|^[a-z]$");
  return std::regex_match(name, pattern);
}

bool IsLabelKey(const std::string& key) {
  static const std::regex pattern("^[a-z0-9]([a-z0-9_.-]{0,61}[a-z0-9])?$");
  return std::regex_match(key, pattern);
}

std::string NewOperationId() {
  return OperationId::Generate().str();
}

// The group's parameters overlaid by the instance's are checked together, so conflicts between
// them (e.g. min_wal_size above max_wal_size) are reported before anything runs.
void CheckEffective(engines::Engine engine, const engines::ParameterValues& effective,
                    std::vector<FieldViolation>& problems) {
  std::vector<FieldViolation> conflicts;
  engines::ValidateParameters(engine, nlohmann::json(effective), conflicts);
  for (auto& c : conflicts) {
    problems.push_back({"parameter_group",
                        "with the instance's own parameters: " + c.field + " " + c.issue});
  }
}

}  // namespace

events::Event InstanceEventFor(const Instance& i, const std::string& verb,
                               const std::string& operation_id, const std::string& request_id) {
  events::v1::InstanceEvent msg;
  msg.set_instance_id(i.id);
  msg.set_tenant_id(i.tenant_id);
  msg.set_name(i.name);
  msg.set_engine(i.engine);
  msg.set_version(i.version);
  msg.set_size(i.size);
  msg.set_storage_gb(i.storage_gb);
  msg.set_status(i.status);
  if (i.status == kFailed) msg.set_error(i.status_detail);
  msg.set_operation_id(operation_id);
  return events::MakeEvent("dbaas.provisioning.instance." + verb, "provisioning", i.tenant_id,
                           msg, request_id);
}

Accepted InstanceService::Create(const auth::Identity& caller, const nlohmann::json& body,
                                 const std::string& request_id,
                                 const std::optional<std::string>& idempotency_key) {
  json::Reader reader(body);
  std::vector<FieldViolation> problems;
  const auto tenant_request = reader.String("tenant_id", false, 1, 64);
  const auto name = reader.String("name", true, 1, 63);
  const auto engine = reader.String("engine", true, 1, 32);
  const auto version = reader.String("version", false, 1, 32);
  const auto size = reader.String("size", true, 1, 32);
  const auto storage = reader.Int("storage_gb", true, 1, 1'000'000);
  const auto protection = reader.Bool("deletion_protection", false);
  const nlohmann::json* parameters = reader.Member("parameters", false);
  const nlohmann::json* labels = reader.Member("labels", false);
  reader.RejectUnknown({"tenant_id", "name", "engine", "version", "size", "storage_gb",
                        "parameters", "parameter_group", "ha", "deletion_protection", "labels"});
  problems = reader.Violations();
  if (name && !IsInstanceName(*name)) {
    problems.push_back({"name", "must be 1-63 of a-z, 0-9 and '-', starting with a letter and "
                                "not ending with '-'"});
  }
  std::map<std::string, std::string> label_values;
  if (labels != nullptr) {
    if (!labels->is_object() || labels->size() > kMaxLabels) {
      problems.push_back({"labels", "must be an object of at most 32 string values"});
    } else {
      for (const auto& [key, value] : labels->items()) {
        if (!IsLabelKey(key) || !value.is_string() || value.get<std::string>().size() > 256) {
          problems.push_back({"labels." + key, "keys are 1-63 of a-z0-9_.- and values strings "
                                               "of at most 256 characters"});
        } else {
          label_values[key] = value.get<std::string>();
        }
      }
    }
  }
  const nlohmann::json* group_ref = reader.Member("parameter_group", false);
  if (const auto* ha = reader.Member("ha", false); ha != nullptr && *ha != false) {
    problems.push_back({"ha", "high availability is not available yet"});
  }
  const std::string tenant_id = ActingTenant(caller, tenant_request, problems);

  engines::InstanceRequest request;
  request.engine = engine.value_or("");
  request.version = version.value_or("");
  request.size = size.value_or("");
  request.storage_gb = storage.value_or(0);
  request.parameters = parameters;
  engines::ValidatedInstance validated;
  // The engine rules run even when some fields are missing or malformed, so every problem is
  // reported at once; a field the reader already faulted is not reported twice.
  for (auto& v : engines::ValidateInstance(engines_, request, &validated)) {
    const bool known = std::any_of(problems.begin(), problems.end(),
                                   [&](const FieldViolation& p) { return p.field == v.field; });
    if (!known) problems.push_back(std::move(v));
  }
  std::optional<ParameterGroup> group;
  if (group_ref != nullptr && !group_ref->is_null() && engine &&
      engines::ParseEngine(*engine)) {
    group = groups_.Resolve(tenant_id, *engine, *group_ref, problems);
  }
  const auto effective =
      EffectiveParameters(group ? group->parameters : engines::ParameterValues{},
                          validated.parameters);
  if (group) CheckEffective(validated.engine, effective, problems);
  if (idempotency_key && (idempotency_key->empty() || idempotency_key->size() > 255)) {
    problems.push_back({"Idempotency-Key", "must be 1-255 characters"});
  }
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "the instance request is invalid",
                std::move(problems));
  }
  Require(caller, kResource, "create", tenant_id);

  Instance instance;
  instance.id = InstanceId::Generate().str();
  instance.tenant_id = tenant_id;
  instance.name = *name;
  instance.engine = *engine;
  const auto& info = *std::find_if(engines_.begin(), engines_.end(), [&](const auto& e) {
    return e.engine == validated.engine;
  });
  instance.version = version.value_or(info.versions.front());
  instance.size = *size;
  instance.storage_gb = *storage;
  instance.parameters = validated.parameters;
  instance.effective_parameters = effective;
  if (group) {
    instance.parameter_group_id = group->id;
    instance.parameter_group_name = group->name;
    instance.parameter_group_version = group->version;
  }
  instance.deletion_protection = protection.value_or(false);
  instance.labels = std::move(label_values);
  instance.status = std::string(kProvisioning);
  instance.created_at = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.Now());
  instance.updated_at = instance.created_at;

  Operation operation;
  operation.id = NewOperationId();
  operation.tenant_id = tenant_id;
  operation.type = "create";
  operation.target = instance.id;
  operation.status = std::string(kPending);
  operation.step = "waiting to start";
  operation.request_id = request_id;
  operation.created_at = instance.created_at;
  operation.updated_at = instance.created_at;

  std::optional<CreateIdempotency> idempotency;
  if (idempotency_key) {
    idempotency = CreateIdempotency{*idempotency_key, caller.subject,
                                    crypto::Sha256Hex(tenant_id + "\n" + body.dump())};
  }
  if (auto earlier = repository_.CreateInstance(
          instance, operation,
          InstanceEventFor(instance, "provisioning", operation.id, request_id), idempotency)) {
    return {std::move(earlier->first), std::move(earlier->second), true};
  }
  NotifyQueued();
  return {instance, operation};
}

InstancePage InstanceService::List(const auth::Identity& caller, InstanceQuery query) {
  if (caller.IsPlatformAdmin()) {
    Require(caller, kResource, "read", query.tenant_id.value_or(""));
  } else {
    Require(caller, kResource, "read", query.tenant_id.value_or(caller.tenant_id));
    query.tenant_id = caller.tenant_id;
  }
  return repository_.ListInstances(query);
}

Instance InstanceService::Get(const auth::Identity& caller, const std::string& id) {
  auto instance = repository_.FindInstance(id);
  if (!instance) throw Error(ErrorCode::kNotFound, "instance " + id + " not found");
  Require(caller, kResource, "read", instance->tenant_id);
  return *instance;
}

std::pair<Instance, std::optional<Operation>> InstanceService::Update(
    const auth::Identity& caller, const std::string& id, const nlohmann::json& body,
    const std::optional<std::string>& if_match, const std::string& request_id) {
  const auto instance = Get(caller, id);
  Require(caller, kResource, "update", instance.tenant_id);
  json::Reader reader(body);
  const auto size = reader.String("size", false, 1, 32);
  const auto storage = reader.Int("storage_gb", false, 1, 1'000'000);
  const auto protection = reader.Bool("deletion_protection", false);
  const nlohmann::json* parameters = reader.Member("parameters", false);
  const nlohmann::json* labels = reader.Member("labels", false);
  const nlohmann::json* group_ref = reader.Member("parameter_group", false);
  reader.RejectUnknown(
      {"size", "storage_gb", "parameters", "parameter_group", "deletion_protection", "labels"});
  std::vector<FieldViolation> problems = reader.Violations();
  if (body.is_object() && body.empty()) problems.push_back({"", "nothing to change"});

  std::optional<std::map<std::string, std::string>> label_values;
  if (labels != nullptr) {
    label_values.emplace();
    if (!labels->is_object() || labels->size() > kMaxLabels) {
      problems.push_back({"labels", "must be an object of at most 32 string values"});
    } else {
      for (const auto& [key, value] : labels->items()) {
        if (!IsLabelKey(key) || !value.is_string() || value.get<std::string>().size() > 256) {
          problems.push_back({"labels." + key, "keys are 1-63 of a-z0-9_.- and values strings "
                                               "of at most 256 characters"});
        } else {
          (*label_values)[key] = value.get<std::string>();
        }
      }
    }
  }
  const nlohmann::json merged = MergeParameterPatch(instance.parameters, parameters, problems);
  engines::InstanceRequest request;
  request.engine = instance.engine;
  request.version = instance.version;
  request.size = size.value_or(instance.size);
  request.storage_gb = storage.value_or(instance.storage_gb);
  request.parameters = &merged;
  engines::ValidatedInstance validated;
  for (auto& v : engines::ValidateInstance(engines_, request, &validated)) {
    const bool known = std::any_of(problems.begin(), problems.end(),
                                   [&](const FieldViolation& p) { return p.field == v.field; });
    if (!known) problems.push_back(std::move(v));
  }
  // The group after the change: unchanged, another one, or none (null detaches).
  std::optional<ParameterGroup> group;
  std::optional<std::string> group_id = instance.parameter_group_id;
  // The reader treats null as absent; here null means "detach".
  if (body.is_object() && body.contains("parameter_group") && body["parameter_group"].is_null()) {
    group_id.reset();
  } else if (group_ref != nullptr) {
    group = groups_.Resolve(instance.tenant_id, instance.engine, *group_ref, problems);
    if (group) group_id = group->id;
  }
  if (group) {
    CheckEffective(validated.engine, EffectiveParameters(group->parameters, validated.parameters),
                   problems);
  }
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "the instance change is invalid", std::move(problems));
  }
  if (if_match && *if_match != "*" && *if_match != InstanceEtag(instance)) {
    throw Error(ErrorCode::kAborted,
                "instance " + id + " changed since it was read (ETag " + InstanceEtag(instance) +
                    ", If-Match " + *if_match + ")",
                {}, {"GET it again and repeat the change"});
  }

  InstanceMetadata metadata;
  metadata.deletion_protection = protection;
  metadata.labels = label_values;
  metadata.storage_gb = storage;
  std::optional<Operation> operation;
  const bool resize = request.size != instance.size ||
                      validated.parameters != instance.parameters ||
                      group_id != instance.parameter_group_id;
  if (resize) {
    operation.emplace();
    operation->id = NewOperationId();
    operation->tenant_id = instance.tenant_id;
    operation->type = "update";
    operation->target = id;
    operation->status = std::string(kPending);
    operation->step = "waiting to start";
    operation->request_id = request_id;
    operation->spec =
        nlohmann::json{{"size", request.size},
                       {"parameters", validated.parameters},
                       {"parameter_group_id",
                        group_id ? nlohmann::json(*group_id) : nlohmann::json(nullptr)}}
            .dump();
    operation->created_at = clock_.Now();
    operation->updated_at = operation->created_at;
  }
  const auto op_id = operation ? operation->id : std::string();
  auto updated = repository_.UpdateInstance(id, instance.revision, metadata, operation,
                                            [&](const Instance& i) {
                                              return InstanceEventFor(i, "updated", op_id,
                                                                      request_id);
                                            });
  if (operation) NotifyQueued();
  return {updated, operation};
}

Operation InstanceService::Lifecycle(const auth::Identity& caller, const std::string& id,
                                     const std::string& verb, const std::string& request_id) {
  const auto instance = Get(caller, id);  // NOT_FOUND across tenants first
  Require(caller, kResource, verb == "delete" ? "delete" : "update", instance.tenant_id);
  Operation operation;
  operation.id = NewOperationId();
  operation.tenant_id = instance.tenant_id;
  operation.type = verb;
  operation.target = id;
  operation.status = std::string(kPending);
  operation.step = "waiting to start";
  operation.request_id = request_id;
  operation.created_at = clock_.Now();
  operation.updated_at = operation.created_at;

  std::vector<std::string> allowed;
  std::string status;
  std::string event_verb = "updated";
  std::function<void(const Instance&)> check;
  if (verb == "delete") {
    allowed = {std::string(kRunning), std::string(kStopped), std::string(kFailed)};
    status = std::string(kDeleting);
    check = [](const Instance& i) {
      if (i.deletion_protection) {
        throw Error(ErrorCode::kFailedPrecondition,
                    "instance " + i.id + " has deletion protection", {},
                    {"PATCH it with {\"deletion_protection\": false} first"});
      }
    };
  } else if (verb == "start") {
    allowed = {std::string(kStopped), std::string(kFailed)};
    status = instance.status;
  } else if (verb == "stop") {
    allowed = {std::string(kRunning), std::string(kFailed)};
    status = instance.status;
  } else if (verb == "restart") {
    allowed = {std::string(kRunning), std::string(kFailed)};
    status = instance.status;
  } else {
    throw Error(ErrorCode::kNotFound, "no such action: " + verb);
  }
  repository_.BeginOperation(id, allowed, status, operation, check,
                             [&](const Instance& i) {
                               return InstanceEventFor(i, event_verb, operation.id, request_id);
                             });
  NotifyQueued();
  return operation;
}

Operation InstanceService::GetOperation(const auth::Identity& caller, const std::string& id) {
  auto operation = repository_.FindOperation(id);
  if (!operation) throw Error(ErrorCode::kNotFound, "operation " + id + " not found");
  Require(caller, "operations", "read", operation->tenant_id);
  return *operation;
}

Credentials InstanceService::GetCredentials(const auth::Identity& caller, const std::string& id) {
  const auto instance = Get(caller, id);
  Require(caller, "credentials", "read", instance.tenant_id);
  auto sealed = repository_.SealedPassword(id);
  if (!sealed || !instance.host || !instance.port || !instance.admin_user) {
    throw Error(ErrorCode::kFailedPrecondition,
                "instance " + id + " has no credentials yet (it is " + instance.status + ")");
  }
  Credentials c;
  c.username = *instance.admin_user;
  c.password = crypto::OpenEnvelope(keys_, crypto::Base64UrlDecode(*sealed), instance.id);
  c.ca_pem = instance.ca_pem.value_or("");
  engines::UriParts parts;
  parts.host = *instance.host;
  parts.port = static_cast<std::uint16_t>(*instance.port);
  parts.user = c.username;
  parts.password = c.password;
  const auto engine = engines::ParseEngine(instance.engine).value_or(engines::Engine::kPostgresql);
  parts.database = engine == engines::Engine::kPostgresql ? "postgres" : "";
  parts.ssl_mode = engine == engines::Engine::kPostgresql ? "require" : "REQUIRED";
  c.uri = engines::ConnectionUri(engine, parts);
  return c;
}

}  // namespace dbaas::provisioning

#include "handlers/instance_handlers.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/auth/authorize.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/common/id.hpp"
#include "dbaas/engines/catalog.hpp"
#include "dbaas/http/pagination.hpp"
#include "dbaas/http/router.hpp"

namespace dbaas::provisioning {
namespace {

constexpr std::string_view kPageTokenKind = "i1";

nlohmann::json ParameterToJson(const engines::ParameterSpec& p) {
  nlohmann::json out{{"name", p.name},
                     {"type", engines::ParamTypeName(p.type)},
                     {"default", p.default_value},
                     {"dynamic", p.dynamic},
                     {"description", p.description}};
  if (p.type == engines::ParamType::kEnum || p.type == engines::ParamType::kSet) {
    out["allowed"] = p.allowed;
  }
  if (p.type == engines::ParamType::kInt || p.type == engines::ParamType::kReal ||
      p.type == engines::ParamType::kMemory || p.type == engines::ParamType::kDuration) {
    out["min"] = p.min;
    out["max"] = p.max;
    if (p.type == engines::ParamType::kMemory) out["unit"] = "bytes";
    if (p.type == engines::ParamType::kDuration) out["unit"] = "ms";
  }
  return out;
}

}  // namespace

void InstanceHandlers::Register(http::Router& router) {
  router.Get("/v1/engines", [this](const http::Request& r) { return Engines(r); });
  router.Get("/v1/instance-sizes", [this](const http::Request& r) { return Sizes(r); });
  router.Post("/v1/instances", [this](const http::Request& r) { return Create(r); });
  router.Get("/v1/instances", [this](const http::Request& r) { return List(r); });
  router.Get("/v1/instances/{id}", [this](const http::Request& r) { return Get(r); });
  router.Patch("/v1/instances/{id}", [this](const http::Request& r) { return Update(r); });
  router.Delete("/v1/instances/{id}",
                [this](const http::Request& r) { return Lifecycle(r, "delete"); });
  for (const char* verb : {"start", "stop", "restart"}) {
    router.Post(std::string("/v1/instances/{id}/") + verb,
                [this, verb](const http::Request& r) { return Lifecycle(r, verb); });
  }
  router.Get("/v1/instances/{id}/credentials",
             [this](const http::Request& r) { return GetCredentials(r); });
  router.Get("/v1/operations/{id}", [this](const http::Request& r) { return GetOperation(r); });
}

http::Response InstanceHandlers::Engines(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  auth::Authorize(caller, "engines", "read", "").ThrowIfDenied("engines", "read");
  nlohmann::json items = nlohmann::json::array();
  for (const auto& info : instances_.Engines()) {
    nlohmann::json parameters = nlohmann::json::array();
    for (const auto& p : engines::Parameters(info.engine)) parameters.push_back(ParameterToJson(p));
    items.push_back({{"engine", engines::EngineName(info.engine)},
                     {"versions", info.versions},
                     {"server", info.server},
                     {"server_version", info.server_version},
                     {"parameters", std::move(parameters)}});
  }
  return http::Response::Ok(nlohmann::json{{"engines", std::move(items)}});
}

http::Response InstanceHandlers::Sizes(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  auth::Authorize(caller, "instance-sizes", "read", "").ThrowIfDenied("instance-sizes", "read");
  nlohmann::json items = nlohmann::json::array();
  for (const auto& s : engines::InstanceSizes()) {
    items.push_back({{"name", s.name},
                     {"vcpu", s.vcpu},
                     {"memory_mib", s.memory_mib},
                     {"storage_gb", {{"min", s.min_storage_gb}, {"max", s.max_storage_gb}}},
                     {"iops", s.iops},
                     {"max_connections", s.max_connections}});
  }
  return http::Response::Ok(nlohmann::json{{"instance_sizes", std::move(items)}});
}

http::Response InstanceHandlers::Create(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto accepted =
      instances_.Create(caller, req.Json(), req.RequestId(), req.Header("Idempotency-Key"));
  auto response = http::Response::Accepted({{"operation", OperationToJson(accepted.operation)},
                            {"instance", InstanceToJson(accepted.instance)}});
  response.SetHeader("Location", "/v1/operations/" + accepted.operation.id);
  return response;
}

http::Response InstanceHandlers::List(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  std::vector<FieldViolation> problems;
  const auto page = http::ReadPageParams(
      req, kPageTokenKind, [](std::string_view id) { return InstanceId::Parse(id).has_value(); },
      problems);
  InstanceQuery query;
  query.page_size = page.page_size;
  query.after_id = page.after_id;
  query.tenant_id = req.Query("tenant_id");
  query.engine = req.Query("engine");
  query.status = req.Query("status");
  if (query.engine && !engines::ParseEngine(*query.engine)) {
    problems.push_back({"engine", "must be postgresql or mysql"});
  }
  if (query.status && *query.status != kProvisioning && *query.status != kRunning &&
      *query.status != kStopped && *query.status != kFailed && *query.status != kDeleting &&
      *query.status != "maintenance") {
    problems.push_back(
        {"status", "must be provisioning, running, stopped, maintenance, failed or deleting"});
  }
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "invalid list parameters", std::move(problems));
  }
  const auto result = instances_.List(caller, query);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& i : result.instances) items.push_back(InstanceToJson(i));
  return http::Response::Ok(nlohmann::json{
      {"instances", std::move(items)},
      {"next_page_token", http::EncodePageToken(kPageTokenKind, result.last_id)}});
}

http::Response InstanceHandlers::Get(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto instance = instances_.Get(caller, req.PathParam("id"));
  auto response = http::Response::Ok(InstanceToJson(instance));
  response.SetHeader("ETag", InstanceEtag(instance));
  return response;
}

http::Response InstanceHandlers::Update(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto [instance, operation] = instances_.Update(caller, req.PathParam("id"), req.Json(),
                                                       req.Header("If-Match"), req.RequestId());
  if (!operation) {
    auto response = http::Response::Ok(InstanceToJson(instance));
    response.SetHeader("ETag", InstanceEtag(instance));
    return response;
  }
  auto response = http::Response::Accepted(
      {{"operation", OperationToJson(*operation)}, {"instance", InstanceToJson(instance)}});
  response.SetHeader("Location", "/v1/operations/" + operation->id);
  return response;
}

http::Response InstanceHandlers::Lifecycle(const http::Request& req,
                                           const std::string& verb) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto operation =
      instances_.Lifecycle(caller, req.PathParam("id"), verb, req.RequestId());
  auto response = http::Response::Accepted({{"operation", OperationToJson(operation)}});
  response.SetHeader("Location", "/v1/operations/" + operation.id);
  return response;
}

http::Response InstanceHandlers::GetCredentials(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto c = instances_.GetCredentials(caller, req.PathParam("id"));
  auto response = http::Response::Ok(nlohmann::json{
      {"username", c.username}, {"password", c.password}, {"uri", c.uri}, {"ca_pem", c.ca_pem}});
  response.SetHeader("Cache-Control", "no-store");
  return response;
}

http::Response InstanceHandlers::GetOperation(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  return http::Response::Ok(OperationToJson(instances_.GetOperation(caller, req.PathParam("id"))));
}

}  // namespace dbaas::provisioning

#include "handlers/database_handlers.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"
#include "dbaas/http/router.hpp"

namespace dbaas::provisioning {
namespace {

constexpr std::string_view kBase = "/v1/instances/{id}";

std::string Route(std::string_view suffix) {
  return std::string(kBase) + std::string(suffix);
}

nlohmann::json Names(const std::vector<std::string>& names) {
  auto items = nlohmann::json::array();
  for (const auto& n : names) items.push_back({{"name", n}});
  return items;
}

// A body that may be left out entirely (rotating to a generated password).
nlohmann::json OptionalJson(const http::Request& req) {
  if (req.Body().empty()) return nlohmann::json::object();
  return req.Json();
}

bool ForceFlag(const http::Request& req) {
  const auto force = req.Query("force");
  if (!force || *force == "false") return false;
  if (*force == "true") return true;
  throw Error(ErrorCode::kInvalidArgument, "invalid query parameters",
              {{"force", "must be true or false"}});
}

http::Response SecretResponse(int status, const DatabaseUserSecret& s) {
  auto response = http::Response::Json(
      status, nlohmann::json{{"name", s.name}, {"password", s.password}, {"uri", s.uri}});
  response.SetHeader("Cache-Control", "no-store");
  return response;
}

http::Response Find(const std::vector<std::string>& names, const std::string& name,
                    std::string_view kind, const std::string& instance_id) {
  for (const auto& n : names) {
    if (n == name) return http::Response::Ok(nlohmann::json{{"name", n}});
  }
  throw Error(ErrorCode::kNotFound,
              std::string(kind) + " " + name + " not found in instance " + instance_id);
}

}  // namespace

void DatabaseHandlers::Register(http::Router& router) {
  auto bind = [this](http::Response (DatabaseHandlers::*method)(const http::Request&) const) {
    return [this, method](const http::Request& r) { return (this->*method)(r); };
  };
  router.Get(Route("/databases"), bind(&DatabaseHandlers::ListDatabases));
  router.Post(Route("/databases"), bind(&DatabaseHandlers::CreateDatabase));
  router.Get(Route("/databases/{name}"), bind(&DatabaseHandlers::GetDatabase));
  router.Delete(Route("/databases/{name}"), bind(&DatabaseHandlers::DropDatabase));
  router.Get(Route("/users"), bind(&DatabaseHandlers::ListUsers));
  router.Post(Route("/users"), bind(&DatabaseHandlers::CreateUser));
  router.Get(Route("/users/{name}"), bind(&DatabaseHandlers::GetUser));
  router.Delete(Route("/users/{name}"), bind(&DatabaseHandlers::DropUser));
  router.Post(Route("/users/{name}:rotate-password"), bind(&DatabaseHandlers::RotatePassword));
  router.Get(Route("/roles"), bind(&DatabaseHandlers::ListRoles));
  router.Post(Route("/roles"), bind(&DatabaseHandlers::CreateRole));
  router.Get(Route("/roles/{name}"), bind(&DatabaseHandlers::GetRole));
  router.Delete(Route("/roles/{name}"), bind(&DatabaseHandlers::DropRole));
  router.Post(Route("/grants"), bind(&DatabaseHandlers::Grant));
  router.Post(Route("/grants:revoke"), bind(&DatabaseHandlers::Revoke));
}

http::Response DatabaseHandlers::ListDatabases(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto result = service_.ListDatabases(caller, req.PathParam("id"));
  auto items = nlohmann::json::array();
  for (const auto& d : result.databases) items.push_back(DatabaseToJson(result.engine, d));
  return http::Response::Ok(nlohmann::json{{"databases", std::move(items)}});
}

http::Response DatabaseHandlers::GetDatabase(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto d = service_.GetDatabase(caller, req.PathParam("id"), req.PathParam("name"));
  return http::Response::Ok(DatabaseToJson(d.engine, d.database));
}

http::Response DatabaseHandlers::CreateDatabase(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto id = req.PathParam("id");
  const auto d = service_.CreateDatabase(caller, id, req.Json());
  auto response = http::Response::Created(DatabaseToJson(d.engine, d.database));
  response.SetHeader("Location", "/v1/instances/" + id + "/databases/" + d.database.name);
  return response;
}

http::Response DatabaseHandlers::DropDatabase(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const bool force = ForceFlag(req);
  service_.DropDatabase(caller, req.PathParam("id"), req.PathParam("name"), force);
  return http::Response::NoContent();
}

http::Response DatabaseHandlers::ListUsers(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  return http::Response::Ok(
      nlohmann::json{{"users", Names(service_.ListUsers(caller, req.PathParam("id")))}});
}

http::Response DatabaseHandlers::GetUser(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto id = req.PathParam("id");
  return Find(service_.ListUsers(caller, id), req.PathParam("name"), "user", id);
}

http::Response DatabaseHandlers::CreateUser(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto id = req.PathParam("id");
  const auto secret = service_.CreateUser(caller, id, req.Json());
  auto response = SecretResponse(201, secret);
  response.SetHeader("Location", "/v1/instances/" + id + "/users/" + secret.name);
  return response;
}

http::Response DatabaseHandlers::RotatePassword(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  return SecretResponse(200, service_.RotatePassword(caller, req.PathParam("id"),
                                                     req.PathParam("name"), OptionalJson(req)));
}

http::Response DatabaseHandlers::DropUser(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  service_.DropUser(caller, req.PathParam("id"), req.PathParam("name"));
  return http::Response::NoContent();
}

http::Response DatabaseHandlers::ListRoles(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  return http::Response::Ok(
      nlohmann::json{{"roles", Names(service_.ListRoles(caller, req.PathParam("id")))}});
}

http::Response DatabaseHandlers::GetRole(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto id = req.PathParam("id");
  return Find(service_.ListRoles(caller, id), req.PathParam("name"), "role", id);
}

http::Response DatabaseHandlers::CreateRole(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto id = req.PathParam("id");
  const auto name = service_.CreateRole(caller, id, req.Json());
  auto response = http::Response::Created(nlohmann::json{{"name", name}});
  response.SetHeader("Location", "/v1/instances/" + id + "/roles/" + name);
  return response;
}

http::Response DatabaseHandlers::DropRole(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  service_.DropRole(caller, req.PathParam("id"), req.PathParam("name"));
  return http::Response::NoContent();
}

http::Response DatabaseHandlers::Grant(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  return http::Response::Created(
      GrantToJson(service_.Grant(caller, req.PathParam("id"), req.Json())));
}

http::Response DatabaseHandlers::Revoke(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  service_.Revoke(caller, req.PathParam("id"), req.Json());
  return http::Response::NoContent();
}

}  // namespace dbaas::provisioning

#include "handlers/user_handlers.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/json.hpp"
#include "dbaas/http/pagination.hpp"
#include "dbaas/http/response.hpp"
#include "dbaas/http/router.hpp"
#include "handlers/handler_support.hpp"

namespace dbaas::access_control {
namespace {

constexpr std::size_t kMaxDisplayName = 200;
constexpr std::string_view kPageTokenKind = "u1";

http::Response UserResponse(int status, const User& user) {
  auto resp = http::Response::Json(status, UserToJson(user));
  resp.SetHeader("ETag", UserEtag(user));
  return resp;
}

UserListQuery ParseListQuery(const http::Request& req) {
  auto params = ParseScopedList(req, kPageTokenKind,
                                [](std::string_view id) { return UserId::Parse(id).has_value(); });
  return {params.page_size, std::move(params.after_id), std::move(params.tenant_id)};
}

// {"roles":[{"role","tenant_id"}]}
nlohmann::json AssignmentsToJson(const std::vector<RoleAssignment>& assignments) {
  nlohmann::json roles = nlohmann::json::array();
  for (const auto& a : assignments) {
    roles.push_back({{"role", a.role}, {"tenant_id", StringOrNull(a.tenant_id)}});
  }
  return {{"roles", std::move(roles)}};
}

}  // namespace

nlohmann::json UserToJson(const User& u) {
  return {{"id", u.id.str()},
          {"tenant_id", StringOrNull(u.tenant_id)},
          {"username", u.username},
          {"email", u.email ? nlohmann::json(*u.email) : nlohmann::json(nullptr)},
          {"display_name", u.display_name},
          {"active", u.active},
          {"last_login_at", TimeOrNull(u.last_login_at)},
          {"failed_logins", u.login.failed_logins},
          {"locked_until", TimeOrNull(u.login.locked_until)},
          {"etag", UserEtag(u)},
          {"created_at", FormatRfc3339(u.created_at)},
          {"updated_at", FormatRfc3339(u.updated_at)}};
}

UserSpec ParseUserSpec(const nlohmann::json& body) {
  json::Reader reader(body);
  UserSpec spec;
  if (auto email = reader.String("email", true, 1, 254)) {
    if (auto problem = CheckEmail(*email)) {
      reader.Fail("email", *problem);
    } else {
      spec.email = *email;
    }
  }
  spec.display_name = reader.String("display_name", false, 1, kMaxDisplayName).value_or("");
  // The policy is checked by the domain (it needs the user name); only presence here.
  spec.password = reader.String("password", true, 1, 4096).value_or("");
  spec.tenant_id = ReadTenantId(reader).value_or("");
  spec.roles = ReadStringArray(reader, "roles", false);
  reader.RejectUnknown({"email", "display_name", "password", "tenant_id", "roles"});
  reader.Finish("user");
  return spec;
}

UserPatch ParseUserPatch(const nlohmann::json& body) {
  json::Reader reader(body);
  UserPatch patch;
  patch.display_name = reader.String("display_name", false, 1, kMaxDisplayName);
  patch.active = reader.Bool("active", false);
  for (std::string_view fixed : {"email", "username", "tenant_id"}) {
    if (reader.Member(fixed, false) != nullptr) reader.Fail(fixed, "cannot be changed");
  }
  if (reader.Member("password", false) != nullptr) {
    reader.Fail("password", "is changed with POST /v1/users/{id}/password");
  }
  reader.RejectUnknown({"display_name", "active", "email", "username", "tenant_id", "password"});
  reader.Finish("user update");
  return patch;
}

void UserHandlers::Register(http::Router& router) {
  router.Post("/v1/users", [this](const http::Request& r) { return Create(r); });
  router.Get("/v1/users", [this](const http::Request& r) { return List(r); });
  router.Get("/v1/users/{id}", [this](const http::Request& r) { return Get(r); });
  router.Patch("/v1/users/{id}", [this](const http::Request& r) { return Update(r); });
  router.Delete("/v1/users/{id}", [this](const http::Request& r) { return Delete(r); });
  router.Post("/v1/users/{id}/password",
              [this](const http::Request& r) { return ChangePassword(r); });
  router.Post("/v1/users/{id}:unlock", [this](const http::Request& r) { return Unlock(r); });
  router.Get("/v1/users/{id}/roles", [this](const http::Request& r) { return ListRoles(r); });
  router.Post("/v1/users/{id}/roles", [this](const http::Request& r) { return AssignRole(r); });
  router.Delete("/v1/users/{id}/roles/{role}",
                [this](const http::Request& r) { return UnassignRole(r); });
}

http::Response UserHandlers::Create(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  auto created =
      users_.Create(caller, ParseUserSpec(req.Json()), ContextOf(req), IdempotencyKeyOf(req));
  const auto& user = created.resource;
  auto resp = CreateResponse(UserToJson(user), created.replayed, "/v1/users/" + user.id.str());
  resp.SetHeader("ETag", UserEtag(user));
  return resp;
}

http::Response UserHandlers::List(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  auto page = users_.List(caller, ParseListQuery(req));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& u : page.users) items.push_back(UserToJson(u));
  nlohmann::json body{{"users", std::move(items)}};
  body["next_page_token"] = http::EncodePageToken(kPageTokenKind, page.last_id);
  return http::Response::Ok(body);
}

http::Response UserHandlers::Get(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  return UserResponse(200, users_.Get(caller, req.PathParam("id")));
}

http::Response UserHandlers::Update(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  auto patch = ParseUserPatch(req.Json());
  return UserResponse(200, users_.Update(caller, req.PathParam("id"), patch, req.Header("If-Match"),
                                         ContextOf(req)));
}

http::Response UserHandlers::Delete(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  users_.Delete(caller, req.PathParam("id"), ContextOf(req));
  return http::Response::NoContent();
}

http::Response UserHandlers::ChangePassword(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  const auto body = req.Json();
  json::Reader reader(body);
  auto current = reader.String("current_password", false, 1, 4096);
  auto password = reader.String("password", true, 1, 4096);
  reader.RejectUnknown({"current_password", "password"});
  reader.Finish("password change");
  users_.ChangePassword(caller, req.PathParam("id"), current, *password, ContextOf(req));
  return http::Response::NoContent();
}

http::Response UserHandlers::Unlock(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  return UserResponse(200, users_.Unlock(caller, req.PathParam("id"), ContextOf(req)));
}

http::Response UserHandlers::ListRoles(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  return http::Response::Ok(AssignmentsToJson(users_.Roles(caller, req.PathParam("id"))));
}

http::Response UserHandlers::AssignRole(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  const auto body = req.Json();
  json::Reader reader(body);
  auto role = reader.String("role", true, 1, 64);
  auto tenant_id = ReadTenantId(reader);
  reader.RejectUnknown({"role", "tenant_id"});
  reader.Finish("role assignment");
  users_.AssignRole(caller, req.PathParam("id"), *role, tenant_id, ContextOf(req));
  return http::Response::Ok(AssignmentsToJson(users_.Roles(caller, req.PathParam("id"))));
}

http::Response UserHandlers::UnassignRole(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  users_.UnassignRole(caller, req.PathParam("id"), req.PathParam("role"), ContextOf(req));
  return http::Response::NoContent();
}

}  // namespace dbaas::access_control

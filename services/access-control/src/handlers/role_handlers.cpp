#include "handlers/role_handlers.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/auth/role.hpp"
#include "dbaas/common/json.hpp"
#include "dbaas/http/pagination.hpp"
#include "dbaas/http/response.hpp"
#include "dbaas/http/router.hpp"
#include "handlers/handler_support.hpp"

namespace dbaas::access_control {
namespace {

// GET /v1/roles lists built-in roles first, ordered by name, then custom roles ordered by id
// (time-ordered, so the order is stable under concurrent creates and deletes). The page token
// holds the last role of a page: a built-in role's name, or a custom role's id ("rol_...").
// A name resumes after that name among the built-ins and then continues with the custom roles;
// a custom id has passed every built-in and resumes after that id (keyset, as for users).
constexpr std::string_view kPageTokenKind = "r1";

bool IsRoleCursor(std::string_view id) {
  return IsRoleId(id) || auth::FindBuiltInRole(id) != nullptr;
}

}  // namespace

nlohmann::json CustomRoleToJson(const CustomRole& role) {
  nlohmann::json out{{"id", role.id},
                     {"tenant_id", StringOrNull(role.tenant_id)},
                     {"name", role.name},
                     {"description", role.description},
                     {"built_in", role.built_in},
                     {"permissions", PermissionsToJson(role.permissions)}};
  if (!role.built_in) {
    out["version"] = role.version;
    out["created_at"] = FormatRfc3339(role.created_at);
    out["updated_at"] = FormatRfc3339(role.updated_at);
  }
  return out;
}

RoleSpec ParseRoleSpec(const nlohmann::json& body) {
  json::Reader reader(body);
  RoleSpec spec;
  if (auto name = reader.String("name", true, 1, 63)) {
    if (auto problem = CheckRoleName(*name)) {
      reader.Fail("name", *problem);
    } else {
      spec.name = *name;
    }
  }
  spec.tenant_id = ReadTenantId(reader).value_or("");
  spec.description = reader.String("description", false, 0, 500).value_or("");
  spec.permissions = ReadPermissions(reader, true).value_or(std::vector<auth::Permission>{});
  reader.RejectUnknown({"name", "tenant_id", "description", "permissions"});
  reader.Finish("role");
  return spec;
}

RolePatch ParseRolePatch(const nlohmann::json& body) {
  json::Reader reader(body);
  RolePatch patch;
  patch.description = reader.String("description", false, 0, 500);
  patch.permissions = ReadPermissions(reader, false);
  for (std::string_view fixed : {"name", "tenant_id"}) {
    if (reader.Member(fixed, false) != nullptr) reader.Fail(fixed, "cannot be changed");
  }
  reader.RejectUnknown({"description", "permissions", "name", "tenant_id"});
  reader.Finish("role update");
  return patch;
}

void RoleHandlers::Register(http::Router& router) {
  router.Post("/v1/roles", [this](const http::Request& r) { return Create(r); });
  router.Get("/v1/roles", [this](const http::Request& r) { return List(r); });
  router.Get("/v1/roles/{id}", [this](const http::Request& r) { return Get(r); });
  router.Patch("/v1/roles/{id}", [this](const http::Request& r) { return Update(r); });
  router.Delete("/v1/roles/{id}", [this](const http::Request& r) { return Delete(r); });
}

http::Response RoleHandlers::Create(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  auto created =
      roles_.Create(caller, ParseRoleSpec(req.Json()), ContextOf(req), IdempotencyKeyOf(req));
  return CreateResponse(CustomRoleToJson(created.resource), created.replayed,
                        "/v1/roles/" + created.resource.id);
}

http::Response RoleHandlers::List(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  auto params = ParseScopedList(req, kPageTokenKind, IsRoleCursor);
  auto page = roles_.List(
      caller, {params.page_size, std::move(params.after_id), std::move(params.tenant_id)});
  nlohmann::json items = nlohmann::json::array();
  for (const auto& role : page.roles) items.push_back(CustomRoleToJson(role));
  nlohmann::json body{{"roles", std::move(items)}};
  body["next_page_token"] = http::EncodePageToken(kPageTokenKind, page.last_id);
  return http::Response::Ok(body);
}

http::Response RoleHandlers::Get(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  return http::Response::Ok(CustomRoleToJson(roles_.Get(caller, req.PathParam("id"))));
}

http::Response RoleHandlers::Update(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  auto patch = ParseRolePatch(req.Json());
  return http::Response::Ok(
      CustomRoleToJson(roles_.Update(caller, req.PathParam("id"), patch, ContextOf(req))));
}

http::Response RoleHandlers::Delete(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  roles_.Delete(caller, req.PathParam("id"), ContextOf(req));
  return http::Response::NoContent();
}

}  // namespace dbaas::access_control

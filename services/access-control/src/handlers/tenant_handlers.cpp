#include "handlers/tenant_handlers.hpp"

#include <array>
#include <nlohmann/json.hpp>

#include "dbaas/common/json.hpp"
#include "dbaas/http/pagination.hpp"
#include "dbaas/http/router.hpp"
#include "handlers/handler_support.hpp"

namespace dbaas::access_control {
namespace {

constexpr std::size_t kMaxDisplayName = 200;
constexpr std::string_view kPageTokenKind = "t1";

struct LimitField {
  std::string_view name;
  std::int64_t max;
};
constexpr LimitField kLimitFields[] = {
    {"max_instances", LimitBounds::kMaxInstances},
    {"max_storage_gb", LimitBounds::kMaxStorageGb},
    {"max_backups", LimitBounds::kMaxBackups},
    {"max_connections", LimitBounds::kMaxConnections},
};

// Reads the optional "limits" object into the four optional values, in kLimitFields order.
std::array<std::optional<std::int64_t>, 4> ReadLimits(json::Reader& outer) {
  std::array<std::optional<std::int64_t>, 4> values;
  const auto* limits = outer.Member("limits", false);
  if (limits == nullptr) return values;
  json::Reader reader(*limits, "limits");
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = reader.Int(kLimitFields[i].name, false, 0, kLimitFields[i].max);
  }
  reader.RejectUnknown({"max_instances", "max_storage_gb", "max_backups", "max_connections"});
  for (const auto& v : reader.Violations()) outer.Fail(v.field, v.issue);
  return values;
}

RequestContext Context(const http::Request& req) { return {req.RequestId()}; }

http::Response TenantResponse(int status, const Tenant& tenant) {
  auto resp = http::Response::Json(status, TenantToJson(tenant));
  resp.SetHeader("ETag", TenantEtag(tenant));
  return resp;
}

}  // namespace

nlohmann::json TenantToJson(const Tenant& t) {
  return {{"id", t.id.str()},
          {"name", t.name},
          {"display_name", t.display_name},
          {"active", t.active},
          {"limits",
           {{"max_instances", t.limits.max_instances},
            {"max_storage_gb", t.limits.max_storage_gb},
            {"max_backups", t.limits.max_backups},
            {"max_connections", t.limits.max_connections}}},
          {"etag", TenantEtag(t)},
          {"created_at", FormatRfc3339(t.created_at)},
          {"updated_at", FormatRfc3339(t.updated_at)}};
}

TenantSpec ParseTenantSpec(const nlohmann::json& body) {
  json::Reader reader(body);
  TenantSpec spec;
  if (auto name = reader.String("name", true, 1, 63)) {
    if (auto problem = CheckTenantName(*name)) {
      reader.Fail("name", *problem);
    } else {
      spec.name = *name;
    }
  }
  spec.display_name = reader.String("display_name", false, 1, kMaxDisplayName).value_or("");
  const auto limits = ReadLimits(reader);
  TenantLimits defaults;
  spec.limits.max_instances = limits[0].value_or(defaults.max_instances);
  spec.limits.max_storage_gb = limits[1].value_or(defaults.max_storage_gb);
  spec.limits.max_backups = limits[2].value_or(defaults.max_backups);
  spec.limits.max_connections = limits[3].value_or(defaults.max_connections);
  reader.RejectUnknown({"name", "display_name", "limits"});
  reader.Finish("tenant");
  return spec;
}

TenantPatch ParseTenantPatch(const nlohmann::json& body) {
  json::Reader reader(body);
  TenantPatch patch;
  patch.display_name = reader.String("display_name", false, 1, kMaxDisplayName);
  patch.active = reader.Bool("active", false);
  const auto limits = ReadLimits(reader);
  patch.max_instances = limits[0];
  patch.max_storage_gb = limits[1];
  patch.max_backups = limits[2];
  patch.max_connections = limits[3];
  if (reader.Member("name", false) != nullptr) reader.Fail("name", "cannot be changed");
  reader.RejectUnknown({"name", "display_name", "active", "limits"});
  reader.Finish("tenant update");
  return patch;
}

TenantListQuery ParseTenantListQuery(const http::Request& req) {
  TenantListQuery query;
  std::vector<FieldViolation> problems;
  auto page = http::ReadPageParams(
      req, kPageTokenKind, [](std::string_view id) { return TenantId::Parse(id).has_value(); },
      problems);
  query.page_size = page.page_size;
  query.after_id = std::move(page.after_id);
  if (auto active = req.Query("active")) {
    if (*active == "true") query.active = true;
    else if (*active == "false") query.active = false;
    else problems.push_back({"active", "must be true or false"});
  }
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "invalid list parameters", std::move(problems));
  }
  return query;
}

void TenantHandlers::Register(http::Router& router) {
  using http::Method;
  router.Add(Method::kPost, "/v1/tenants", [this](const http::Request& r) { return Create(r); });
  router.Add(Method::kGet, "/v1/tenants", [this](const http::Request& r) { return List(r); });
  router.Add(Method::kGet, "/v1/tenants/{id}", [this](const http::Request& r) { return Get(r); });
  router.Add(Method::kPatch, "/v1/tenants/{id}",
             [this](const http::Request& r) { return Update(r); });
  router.Add(Method::kDelete, "/v1/tenants/{id}",
             [this](const http::Request& r) { return Delete(r); });
}

http::Response TenantHandlers::Create(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  auto spec = ParseTenantSpec(req.Json());
  auto result = service_.Create(caller, spec, Context(req), IdempotencyKeyOf(req));
  auto resp = CreateResponse(TenantToJson(result.tenant), result.replayed,
                             "/v1/tenants/" + result.tenant.id.str());
  resp.SetHeader("ETag", TenantEtag(result.tenant));
  return resp;
}

http::Response TenantHandlers::List(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  auto page = service_.List(caller, ParseTenantListQuery(req));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& t : page.tenants) items.push_back(TenantToJson(t));
  nlohmann::json body{{"tenants", std::move(items)}};
  body["next_page_token"] = http::EncodePageToken(kPageTokenKind, page.last_id);
  return http::Response::Ok(body);
}

http::Response TenantHandlers::Get(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  return TenantResponse(200, service_.Get(caller, req.PathParam("id")));
}

http::Response TenantHandlers::Update(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  auto patch = ParseTenantPatch(req.Json());
  return TenantResponse(
      200, service_.Update(caller, req.PathParam("id"), patch, req.Header("If-Match"), Context(req)));
}

http::Response TenantHandlers::Delete(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  service_.Delete(caller, req.PathParam("id"), Context(req));
  return http::Response::NoContent();
}

}  // namespace dbaas::access_control

#include "handlers/handler_support.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/json.hpp"
#include "dbaas/http/pagination.hpp"
#include "dbaas/http/request.hpp"
#include "dbaas/http/response.hpp"
#include "domain/idempotency.hpp"

namespace dbaas::access_control {

RequestContext ContextOf(const http::Request& req) {
  return {req.RequestId()};
}

std::optional<std::string> ReadTenantId(json::Reader& reader) {
  const auto* member = reader.Member("tenant_id", false);
  if (member == nullptr) return std::nullopt;
  if (member->is_null()) return std::string();
  return reader.String("tenant_id", false, 1, 64);
}

std::vector<std::string> ReadStringArray(json::Reader& reader, const std::string& field,
                                         bool required) {
  std::vector<std::string> out;
  const auto* member = reader.Member(field, required);
  if (member == nullptr) return out;
  if (!member->is_array()) {
    reader.Fail(field, "must be an array of strings");
    return out;
  }
  for (std::size_t i = 0; i < member->size(); ++i) {
    const auto& item = (*member)[i];
    if (!item.is_string() || item.get<std::string>().empty() ||
        item.get<std::string>().size() > 128) {
      reader.Fail(field + "[" + std::to_string(i) + "]", "must be a string of 1 to 128 characters");
      continue;
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<std::vector<auth::Permission>> ReadPermissions(json::Reader& reader, bool required) {
  const auto* member = reader.Member("permissions", required);
  if (member == nullptr) return std::nullopt;
  if (!member->is_array() || member->empty() || member->size() > 100) {
    reader.Fail("permissions", "must be an array of 1 to 100 {resource, actions} objects");
    return std::nullopt;
  }
  std::vector<auth::Permission> out;
  for (std::size_t i = 0; i < member->size(); ++i) {
    const std::string path = "permissions[" + std::to_string(i) + "]";
    json::Reader item((*member)[i], path);
    auth::Permission p;
    p.resource = item.String("resource", true, 1, 64).value_or("");
    p.actions = ReadStringArray(item, "actions", true);
    item.RejectUnknown({"resource", "actions"});
    if (item.Ok()) {
      try {
        p.Validate(path);
      } catch (const Error& e) {
        for (const auto& d : e.Details()) reader.Fail(d.field, d.issue);
        continue;
      }
      out.push_back(std::move(p));
    } else {
      for (const auto& v : item.Violations()) reader.Fail(v.field, v.issue);
    }
  }
  return out;
}

std::optional<std::string> TenantFilter(const http::Request& req) {
  return req.Query("tenant_id");
}

ScopedListParams ParseScopedList(const http::Request& req, std::string_view token_kind,
                                 const std::function<bool(std::string_view)>& is_valid_id) {
  std::vector<FieldViolation> problems;
  auto page = http::ReadPageParams(req, token_kind, is_valid_id, problems);
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "invalid list parameters", std::move(problems));
  }
  return {page.page_size, std::move(page.after_id), TenantFilter(req)};
}

std::optional<std::string> IdempotencyKeyOf(const http::Request& req) {
  auto key = req.Header("Idempotency-Key");
  if (key && (key->empty() || key->size() > kMaxIdempotencyKeyLength)) {
    throw Error(ErrorCode::kInvalidArgument, "Idempotency-Key must be 1 to 255 characters",
                {{"Idempotency-Key", "must be 1 to 255 characters"}});
  }
  return key;
}

http::Response CreateResponse(const nlohmann::json& body, bool replayed,
                              const std::string& location) {
  auto resp = http::Response::Json(replayed ? 200 : 201, body);
  resp.SetHeader("Location", location);
  if (replayed) resp.SetHeader("Idempotent-Replayed", "true");
  return resp;
}

nlohmann::json PermissionsToJson(const std::vector<auth::Permission>& permissions) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : permissions)
    out.push_back({{"resource", p.resource}, {"actions", p.actions}});
  return out;
}

nlohmann::json RoleToJson(const auth::Role& role) {
  return {{"name", role.name},
          {"tenant_id", StringOrNull(role.tenant_id)},
          {"permissions", PermissionsToJson(role.permissions)}};
}

nlohmann::json TimeOrNull(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return FormatRfc3339(*t);
}

nlohmann::json StringOrNull(const std::string& text) {
  if (text.empty()) return nullptr;
  return text;
}

}  // namespace dbaas::access_control

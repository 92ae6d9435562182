#include "dbaas/auth/introspection.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"

namespace dbaas::auth {
namespace {

std::string OptionalString(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return {};
  return it->get<std::string>();
}

}  // namespace

Introspection ParseIntrospection(const nlohmann::json& body) {
  try {
    Introspection result;
    result.active = body.at("active").get<bool>();
    if (!result.active) return result;
    auto& id = result.identity;
    id.subject = body.at("subject").get<std::string>();
    if (id.subject.empty()) throw std::invalid_argument("empty subject");
    id.kind = auth::ParseIdentityKind(OptionalString(body, "kind").empty()
                                          ? std::string("user")
                                          : body.at("kind").get<std::string>());
    id.tenant_id = OptionalString(body, "tenant_id");
    for (const auto& r : body.at("roles")) {
      auth::Role role;
      role.name = r.at("name").get<std::string>();
      role.tenant_id = OptionalString(r, "tenant_id");
      for (const auto& p : r.at("permissions")) {
        auth::Permission permission;
        permission.resource = p.at("resource").get<std::string>();
        permission.actions = p.at("actions").get<std::vector<std::string>>();
        role.permissions.push_back(std::move(permission));
      }
      id.roles.push_back(std::move(role));
    }
    if (const auto exp = body.find("exp"); exp != body.end() && exp->is_number_integer()) {
      result.exp = exp->get<std::int64_t>();
    }
    return result;
  } catch (const std::exception&) {
    // The text of a json exception may quote the document; it stays out of the message.
    throw Error(ErrorCode::kUnavailable, "access-control returned an unusable introspection");
  }
}

}  // namespace dbaas::auth

#include "handlers/parameter_group_handlers.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"
#include "dbaas/engines/catalog.hpp"
#include "dbaas/http/pagination.hpp"
#include "dbaas/http/router.hpp"

namespace dbaas::provisioning {
namespace {

constexpr std::string_view kGroupPageKind = "g1";
constexpr std::string_view kVersionPageKind = "gv1";

bool IsVersionNumber(std::string_view text) {
  return !text.empty() && text.size() <= 9 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

http::Response WithEtag(http::Response response, const ParameterGroup& group) {
  response.SetHeader("ETag", ParameterGroupEtag(group));
  return response;
}

}  // namespace

void ParameterGroupHandlers::Register(http::Router& router) {
  router.Post("/v1/parameter-groups", [this](const http::Request& r) { return Create(r); });
  router.Get("/v1/parameter-groups", [this](const http::Request& r) { return List(r); });
  router.Get("/v1/parameter-groups/{id}", [this](const http::Request& r) { return Get(r); });
  router.Get("/v1/parameter-groups/{id}/versions",
             [this](const http::Request& r) { return Versions(r); });
  router.Patch("/v1/parameter-groups/{id}", [this](const http::Request& r) { return Update(r); });
  router.Delete("/v1/parameter-groups/{id}", [this](const http::Request& r) { return Delete(r); });
}

http::Response ParameterGroupHandlers::Create(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto created =
      groups_.Create(caller, req.Json(), req.Header("Idempotency-Key"), req.RequestId());
  auto body = ParameterGroupToJson(created.group);
  auto response = created.replayed ? http::Response::Ok(body) : http::Response::Created(body);
  response.SetHeader("Location", "/v1/parameter-groups/" + created.group.id);
  return WithEtag(std::move(response), created.group);
}

http::Response ParameterGroupHandlers::List(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  std::vector<FieldViolation> problems;
  const auto page = http::ReadPageParams(
      req, kGroupPageKind,
      [](std::string_view id) { return ParameterGroupId::Parse(id).has_value(); }, problems);
  ParameterGroupQuery query;
  query.page_size = page.page_size;
  query.after_id = page.after_id;
  query.tenant_id = req.Query("tenant_id");
  query.engine = req.Query("engine");
  if (query.engine && !engines::ParseEngine(*query.engine)) {
    problems.push_back({"engine", "must be postgresql or mysql"});
  }
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "invalid list parameters", std::move(problems));
  }
  const auto result = groups_.List(caller, query);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& g : result.groups) items.push_back(ParameterGroupToJson(g));
  return http::Response::Ok(nlohmann::json{
      {"parameter_groups", std::move(items)},
      {"next_page_token", http::EncodePageToken(kGroupPageKind, result.last_id)}});
}

http::Response ParameterGroupHandlers::Get(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto group = groups_.Get(caller, req.PathParam("id"));
  return WithEtag(http::Response::Ok(ParameterGroupToJson(group)), group);
}

http::Response ParameterGroupHandlers::Versions(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  std::vector<FieldViolation> problems;
  const auto page = http::ReadPageParams(req, kVersionPageKind, IsVersionNumber, problems);
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "invalid list parameters", std::move(problems));
  }
  std::optional<std::int64_t> after;
  if (page.after_id) after = std::stoll(*page.after_id);
  const auto result = groups_.Versions(caller, req.PathParam("id"), after, page.page_size);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& v : result.versions) items.push_back(ParameterGroupVersionToJson(v));
  std::optional<std::string> last;
  if (result.last_version) last = std::to_string(*result.last_version);
  return http::Response::Ok(
      nlohmann::json{{"versions", std::move(items)},
                     {"next_page_token", http::EncodePageToken(kVersionPageKind, last)}});
}

http::Response ParameterGroupHandlers::Update(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  const auto updated = groups_.Update(caller, req.PathParam("id"), req.Json(),
                                      req.Header("If-Match"), req.RequestId());
  nlohmann::json operations = nlohmann::json::array();
  for (const auto& op : updated.operations) operations.push_back(OperationToJson(op));
  return WithEtag(http::Response::Ok({{"parameter_group", ParameterGroupToJson(updated.group)},
                                      {"operations", std::move(operations)}}),
                  updated.group);
}

http::Response ParameterGroupHandlers::Delete(const http::Request& req) const {
  const auto caller = callers_.Authenticate(req.Header("Authorization"));
  groups_.Delete(caller, req.PathParam("id"), req.RequestId());
  return http::Response::NoContent();
}

}  // namespace dbaas::provisioning

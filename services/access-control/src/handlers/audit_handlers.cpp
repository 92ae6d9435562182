#include "handlers/audit_handlers.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"
#include "dbaas/common/id.hpp"
#include "dbaas/http/pagination.hpp"
#include "dbaas/http/router.hpp"
#include "handlers/handler_support.hpp"

namespace dbaas::access_control {
namespace {

constexpr std::string_view kPageTokenKind = "a1";
constexpr std::size_t kDefaultPage = 50;
constexpr std::size_t kMaxPage = 500;

bool IsSeq(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end && value > 0;
}

nlohmann::json EntryToJson(const AuditEntry& e) {
  const auto& r = e.record;
  return {{"id", r.id},
          {"seq", e.seq},
          {"time", FormatRfc3339(r.time)},
          {"recorded_at", FormatRfc3339(e.recorded_at)},
          {"source", r.source},
          {"request_id", StringOrNull(r.request_id)},
          {"category", r.category},
          {"actor", {{"type", r.actor_type},
                     {"id", StringOrNull(r.actor_id)},
                     {"name", StringOrNull(r.actor_name)}}},
          {"tenant_id", StringOrNull(r.tenant_id)},
          {"action", r.action},
          {"resource", r.resource},
          {"method", StringOrNull(r.method)},
          {"outcome", r.outcome},
          {"status", r.status},
          {"reason", StringOrNull(r.reason)},
          {"source_address", StringOrNull(r.source_address)},
          {"user_agent", StringOrNull(r.user_agent)},
          {"prev_hash", e.prev_hash},
          {"hash", e.hash}};
}

AuditQuery ParseQuery(const http::Request& req) {
  std::vector<FieldViolation> problems;
  const auto page = http::ReadPageParams(req, kPageTokenKind, IsSeq, problems, kDefaultPage,
                                         kMaxPage);
  AuditQuery query;
  query.page_size = page.page_size;
  if (page.after_id) query.before_seq = std::stoll(*page.after_id);
  const auto text = [&](std::string_view name, std::size_t max) -> std::optional<std::string> {
    auto value = req.Query(name);
    if (value && (value->empty() || value->size() > max)) {
      problems.push_back({std::string(name), "must be 1 to " + std::to_string(max) + " characters"});
      return std::nullopt;
    }
    return value;
  };
  const auto time = [&](std::string_view name) -> std::optional<TimePoint> {
    auto value = req.Query(name);
    if (!value) return std::nullopt;
    auto parsed = ParseRfc3339(*value);
    if (!parsed) problems.push_back({std::string(name), "must be an RFC 3339 time"});
    return parsed;
  };
  query.tenant_id = text("tenant_id", 64);
  query.actor_id = text("actor_id", 256);
  query.category = text("category", 64);
  query.action = text("action", 256);
  query.request_id = text("request_id", 256);
  query.outcome = text("outcome", 16);
  if (query.outcome && *query.outcome != events::kAuditSuccess &&
      *query.outcome != events::kAuditFailure && *query.outcome != events::kAuditDenied) {
    problems.push_back({"outcome", "must be success, failure or denied"});
  }
  query.since = time("since");
  query.until = time("until");
  if (query.since && query.until && *query.until <= *query.since) {
    problems.push_back({"until", "must be after since"});
  }
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "invalid audit query", std::move(problems));
  }
  return query;
}

}  // namespace

void AuditHandlers::Register(http::Router& router) {
  router.Get("/v1/audit-events", [this](const http::Request& r) { return List(r); });
  router.Get("/v1/audit-events:verify", [this](const http::Request& r) { return Verify(r); });
  router.Get("/v1/audit-events/{id}", [this](const http::Request& r) { return Get(r); });
}

http::Response AuditHandlers::List(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  const auto page = log_.List(caller, ParseQuery(req));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e : page.entries) items.push_back(EntryToJson(e));
  nlohmann::json body{{"audit_events", std::move(items)}};
  body["next_page_token"] = http::EncodePageToken(
      kPageTokenKind,
      page.last_seq ? std::optional<std::string>(std::to_string(*page.last_seq)) : std::nullopt);
  return http::Response::Ok(body);
}

http::Response AuditHandlers::Get(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  const auto& id = req.PathParam("id");
  if (!EventId::Parse(id)) throw Error(ErrorCode::kNotFound, "audit event " + id + " not found");
  return http::Response::Ok(EntryToJson(log_.Get(caller, id)));
}

http::Response AuditHandlers::Verify(const http::Request& req) const {
  const auto caller = tokens_.Authenticate(req.Header("Authorization"));
  const auto report = log_.Verify(caller);
  nlohmann::json body{{"valid", report.valid},
                      {"checked", report.checked},
                      {"head", {{"seq", report.head_seq}, {"hash", report.head_hash}}},
                      {"first_broken_link", nullptr}};
  if (report.first_break) {
    body["first_broken_link"] = {{"seq", report.first_break->seq},
                                 {"id", StringOrNull(report.first_break->id)},
                                 {"problem", report.first_break->problem}};
  }
  return http::Response::Ok(body);
}

}  // namespace dbaas::access_control

#include "domain/upstream_table.hpp"

#include <algorithm>

#include "dbaas/common/error.hpp"

namespace dbaas::gateway {
namespace {

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// (segments, literals) when `prefix` matches the start of `path`, else nullopt.
std::optional<std::pair<int, int>> PrefixScore(std::string_view prefix,
                                               const std::vector<std::string_view>& path) {
  const auto parts = PathSegments(prefix);
  if (parts.size() > path.size()) return std::nullopt;
  int literals = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (IsParam(parts[i])) {
      if (path[i].empty()) return std::nullopt;
      continue;
    }
    const bool last = i + 1 == parts.size();
    // "opb_*" matches every segment starting with "opb_" (ids whose prefix names the owner).
    const bool wildcard = parts[i].size() > 1 && parts[i].back() == '*';
    if (wildcard) {
      const auto stem = parts[i].substr(0, parts[i].size() - 1);
      if (path[i].size() <= stem.size() || !path[i].starts_with(stem)) return std::nullopt;
      ++literals;
      continue;
    }
    const bool exact = parts[i] == path[i];
    const bool verb = last && path[i].size() > parts[i].size() + 1 &&
                      path[i].starts_with(parts[i]) && path[i][parts[i].size()] == ':';
    if (!exact && !verb) return std::nullopt;
    ++literals;
  }
  return std::pair{static_cast<int>(parts.size()), literals};
}

}  // namespace

std::vector<std::string_view> PathSegments(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.empty() || path == "/") return parts;
  std::size_t start = path.front() == '/' ? 1 : 0;
  while (true) {
    const auto slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

void UpstreamTable::Add(std::string prefix, std::string service) {
  if (prefix.size() < 2 || prefix.front() != '/') {
    throw Error(ErrorCode::kInvalidArgument, "upstream prefix must start with '/': " + prefix);
  }
  for (auto part : PathSegments(prefix)) {
    if (part.empty()) {
      throw Error(ErrorCode::kInvalidArgument, "upstream prefix has an empty segment: " + prefix);
    }
  }
  if (service.empty()) throw Error(ErrorCode::kInvalidArgument, "upstream service is empty");
  entries_.push_back({std::move(prefix), std::move(service)});
}

std::optional<std::string> UpstreamTable::ServiceFor(std::string_view raw_path) const {
  const auto path = PathSegments(raw_path);
  const Entry* best = nullptr;
  std::pair<int, int> best_score{-1, -1};
  for (const auto& entry : entries_) {
    const auto score = PrefixScore(entry.prefix, path);
    if (score && *score > best_score) {
      best = &entry;
      best_score = *score;
    }
  }
  if (best == nullptr) return std::nullopt;
  return best->service;
}

std::vector<std::string> UpstreamTable::Services() const {
  std::vector<std::string> out;
  for (const auto& entry : entries_) {
    if (std::find(out.begin(), out.end(), entry.service) == out.end()) {
      out.push_back(entry.service);
    }
  }
  return out;
}

UpstreamTable DefaultUpstreamTable() {
  UpstreamTable t;
  for (const char* p : {"/v1/auth", "/v1/tenants", "/v1/users", "/v1/roles", "/v1/api-keys",
                        "/v1/audit-events", "/v1/signing-keys", "/.well-known/jwks.json"}) {
    t.Add(p, "access-control");
  }
  for (const char* p : {"/v1/engines", "/v1/instance-sizes", "/v1/parameter-groups",
                        "/v1/instances", "/v1/operations"}) {
    t.Add(p, "provisioning");
  }
  for (const char* p :
       {"/v1/instances/{id}/backups", "/v1/backups", "/v1/instances/{id}/backup-schedule",
        "/v1/instances/{id}/recovery-window", "/v1/instances/{id}/restore",
        "/v1/operations/opb_*"}) {
    t.Add(p, "backup");
  }
  for (const char* p : {"/v1/instances/{id}/metrics", "/v1/alert-rules", "/v1/alerts",
                        "/v1/notification-channels"}) {
    t.Add(p, "monitoring");
  }
  for (const char* p :
       {"/v1/instances/{id}/scale", "/v1/instances/{id}/replicas", "/v1/autoscaling-policies"}) {
    t.Add(p, "scaling");
  }
  for (const char* p : {"/v1/instances/{id}/failover", "/v1/instances/{id}/switchover",
                        "/v1/instances/{id}/cluster"}) {
    t.Add(p, "ha");
  }
  for (const char* p : {"/v1/instances/{id}/dr-replicas", "/v1/dr-drills"}) t.Add(p, "dr");
  for (const char* p : {"/v1/costs", "/v1/budgets", "/v1/recommendations"}) t.Add(p, "cost");
  for (const char* p : {"/v1/datasources", "/v1/query"}) t.Add(p, "query");
  return t;
}

}  // namespace dbaas::gateway

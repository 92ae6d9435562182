#include "dbaas/auth/route_table.hpp"

#include "dbaas/auth/permission.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::auth {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool IsParam(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// "{id}:verb" (a custom method in the style of AIP-136): the parameter's length, or npos.
std::size_t SuffixedParamEnd(std::string_view segment) {
  if (segment.size() < 4 || segment.front() != '{') return std::string_view::npos;
  const auto close = segment.find('}');
  if (close == std::string_view::npos || close + 1 >= segment.size() || segment[close + 1] != ':') {
    return std::string_view::npos;
  }
  return close + 1;
}

// How well `pattern` matches `path`, else -1: a literal segment scores 2, a "{param}:verb"
// segment 1 and a plain "{param}" 0, so literals beat custom methods beat parameters.
int MatchScore(std::string_view pattern, const std::vector<std::string_view>& path,
               std::vector<std::pair<std::string, std::string>>* params) {
  const auto parts = Segments(pattern);
  if (parts.size() != path.size()) return -1;
  int score = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto part = parts[i];
    const auto segment = path[i];
    if (IsParam(part)) {
      if (segment.empty()) return -1;
      if (params != nullptr) {
        params->emplace_back(std::string(part.substr(1, part.size() - 2)), std::string(segment));
      }
    } else if (const auto end = SuffixedParamEnd(part); end != std::string_view::npos) {
      const auto suffix = part.substr(end);  // ":verb"
      if (segment.size() <= suffix.size() || !segment.ends_with(suffix)) return -1;
      if (params != nullptr) {
        params->emplace_back(std::string(part.substr(1, end - 2)),
                             std::string(segment.substr(0, segment.size() - suffix.size())));
      }
      score += 1;
    } else if (part == segment) {
      score += 2;
    } else {
      return -1;
    }
  }
  return score;
}

}  // namespace

std::string_view ActionForMethod(std::string_view method) noexcept {
  if (method == "GET" || method == "HEAD") return kActionRead;
  if (method == "POST") return kActionCreate;
  if (method == "PUT" || method == "PATCH") return kActionUpdate;
  if (method == "DELETE") return kActionDelete;
  return {};
}

void RouteTable::Add(RoutePermission route) {
  if (route.pattern.empty() || route.pattern.front() != '/') {
    throw Error(ErrorCode::kInvalidArgument, "route pattern must start with '/'");
  }
  if (route.method.empty()) throw Error(ErrorCode::kInvalidArgument, "route method is empty");
  if (route.resource == kWildcard || !IsResourceName(route.resource)) {
    throw Error(ErrorCode::kInvalidArgument, "route resource is not a resource name");
  }
  if (!route.action.empty() && !IsAction(route.action)) {
    throw Error(ErrorCode::kInvalidArgument, "route action must be read, create, update or delete");
  }
  routes_.push_back(std::move(route));
}

void RouteTable::AddCollection(std::string_view prefix, std::string_view resource) {
  Add({"*", std::string(prefix), std::string(resource), {}});
  Add({"*", std::string(prefix) + "/{id}", std::string(resource), {}});
}

std::optional<RequiredPermission> RouteTable::Resolve(std::string_view method,
                                                      std::string_view path) const {
  const auto segments = Segments(path);
  const RoutePermission* best = nullptr;
  int best_score = -1;
  bool best_exact_method = false;
  for (const auto& route : routes_) {
    const bool exact_method = route.method == method;
    if (!exact_method && route.method != "*") continue;
    const int score = MatchScore(route.pattern, segments, nullptr);
    if (score < 0) continue;
    if (score > best_score || (score == best_score && exact_method && !best_exact_method)) {
      best = &route;
      best_score = score;
      best_exact_method = exact_method;
    }
  }
  if (best == nullptr) return std::nullopt;
  RequiredPermission required;
  required.resource = best->resource;
  required.action = best->action.empty() ? std::string(ActionForMethod(method)) : best->action;
  if (required.action.empty()) return std::nullopt;
  MatchScore(best->pattern, segments, &required.params);
  return required;
}

}  // namespace dbaas::auth

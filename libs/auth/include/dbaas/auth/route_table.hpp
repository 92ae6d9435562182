#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dbaas/common/error.hpp"

namespace dbaas::auth {

/// The action an HTTP method implies: GET/HEAD -> "read", POST -> "create",
/// PUT/PATCH -> "update", DELETE -> "delete"; empty for any other method (e.g. OPTIONS).
/// Method names are matched case-sensitively, as HTTP defines them.
std::string_view ActionForMethod(std::string_view method) noexcept;

/// The permission a route needs. `method` "*" matches any method and takes the action from it
/// (ActionForMethod); `pattern` is a path whose "{name}" segments match any one non-empty
/// segment, e.g. "/v1/instances/{id}/restart". An empty `action` means "from the method".
struct RoutePermission {
  std::string method;
  std::string pattern;
  std::string resource;
  std::string action;

  bool operator==(const RoutePermission&) const = default;
};

/// The resolved requirement for one request.
struct RequiredPermission {
  std::string resource;
  std::string action;
  /// Values of the pattern's "{name}" segments, in order (e.g. the instance id).
  std::vector<std::pair<std::string, std::string>> params;

  bool operator==(const RequiredPermission&) const = default;
};

/// Maps requests to the permission they need. Build once, then share read-only.
/// When several routes match, the one with more literal segments wins, then an exact method
/// over "*"; so `POST /v1/instances/{id}/restart -> instances:update` overrides a generic
/// `* /v1/instances/{id}/{sub}` entry.
class RouteTable {
 public:
  /// Throws Error{INVALID_ARGUMENT} for a bad pattern (not starting with '/'), resource or action.
  void Add(RoutePermission route);
  /// Adds "* <prefix>" and "* <prefix>/{id}" for `resource` (the usual collection + item).
  void AddCollection(std::string_view prefix, std::string_view resource);

  /// The permission `method path` needs; nullopt when no route matches or the method implies no
  /// action (deny by default). `path` excludes the query string.
  std::optional<RequiredPermission> Resolve(std::string_view method, std::string_view path) const;

  const std::vector<RoutePermission>& Routes() const noexcept { return routes_; }

 private:
  std::vector<RoutePermission> routes_;
};

}  // namespace dbaas::auth

#include "dbaas/http/router.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <stdexcept>

#include "dbaas/common/error.hpp"

namespace dbaas::http {
namespace {

enum class SegmentKind { kParam = 0, kSuffixedParam = 1, kLiteral = 2 };

struct Segment {
  SegmentKind kind;
  std::string text;    // literal text, or the parameter name
  std::string suffix;  // kSuffixedParam: literal after "}"
};

bool IsParamName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 1;  // skip the leading "/"
  while (true) {
    const auto slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

std::vector<Segment> ParsePattern(const std::string& pattern) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  }
  std::vector<Segment> segments;
  if (pattern == "/") return segments;
  for (auto part : Split(pattern)) {
    if (part.empty()) {
      throw std::invalid_argument("route pattern has an empty segment: " + pattern);
    }
    if (!part.empty() && part.front() == '{') {
      const auto close = part.find('}');
      if (close == std::string_view::npos) {
        throw std::invalid_argument("route pattern has an unclosed '{': " + pattern);
      }
      const auto name = part.substr(1, close - 1);
      const auto suffix = part.substr(close + 1);
      if (!IsParamName(name) || suffix.find_first_of("{}") != std::string_view::npos) {
        throw std::invalid_argument("route pattern has a bad parameter: " + pattern);
      }
      segments.push_back({suffix.empty() ? SegmentKind::kParam : SegmentKind::kSuffixedParam,
                          std::string(name), std::string(suffix)});
    } else {
      if (part.find_first_of("{}") != std::string_view::npos) {
        throw std::invalid_argument("route pattern has a misplaced brace: " + pattern);
      }
      segments.push_back({SegmentKind::kLiteral, std::string(part), {}});
    }
  }
  return segments;
}

struct Route {
  Method method;
  std::string pattern;
  std::vector<Segment> segments;
  Handler handler;
  RouteOptions options;
  AsyncHandler async;  // set for AddAsync routes; `handler` then refuses synchronous dispatch
};

// Matches raw path parts against a pattern; on success fills `params`.
bool MatchRoute(const Route& route, std::span<const std::string_view> parts,
                std::vector<std::pair<std::string, std::string>>* params) {
  if (route.segments.size() != parts.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& seg = route.segments[i];
    const auto part = parts[i];
    switch (seg.kind) {
      case SegmentKind::kLiteral:
        if (part != seg.text) return false;
        break;
      case SegmentKind::kSuffixedParam:
        if (part.size() <= seg.suffix.size() || !part.ends_with(seg.suffix)) return false;
        break;
      case SegmentKind::kParam:
        if (part.empty()) return false;
        break;
    }
  }
  if (params != nullptr) {
    params->clear();
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto& seg = route.segments[i];
      if (seg.kind == SegmentKind::kLiteral) continue;
      auto raw = parts[i];
      if (seg.kind == SegmentKind::kSuffixedParam) raw.remove_suffix(seg.suffix.size());
      auto decoded = PercentDecode(raw);
      if (!decoded) return false;
      params->emplace_back(seg.text, std::move(*decoded));
    }
  }
  return true;
}

// Compares the specificity of two routes with the same number of segments: their SegmentKinds
// compared lexicographically, more specific first.
int CompareSpecificity(const Route& a, const Route& b) {
  for (std::size_t i = 0; i < a.segments.size(); ++i) {
    const auto x = static_cast<int>(a.segments[i].kind);
    const auto y = static_cast<int>(b.segments[i].kind);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

// The "/"-separated parts of a path, without allocating for paths of up to kInline parts.
class PathParts {
 public:
  explicit PathParts(std::string_view path) {
    if (path == "/") return;
    std::size_t start = 1;  // skip the leading "/"
    while (true) {
      const auto slash = path.find('/', start);
      Push(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
      if (slash == std::string_view::npos) break;
      start = slash + 1;
    }
  }
  std::span<const std::string_view> View() const {
    if (!overflow_.empty()) return overflow_;
    return {inline_.data(), size_};
  }

 private:
  static constexpr std::size_t kInline = 16;
  void Push(std::string_view part) {
    if (size_ < kInline) {
      inline_[size_++] = part;
      return;
    }
    if (overflow_.empty()) overflow_.assign(inline_.begin(), inline_.end());
    overflow_.push_back(part);
  }
  std::array<std::string_view, kInline> inline_{};
  std::size_t size_ = 0;
  std::vector<std::string_view> overflow_;
};

constexpr Method kAllMethods[] = {Method::kGet,   Method::kHead,   Method::kPost,   Method::kPut,
                                  Method::kPatch, Method::kDelete, Method::kOptions};

}  // namespace

std::string RouteMatch::AllowHeader() const {
  std::string out;
  for (auto m : allowed) {
    if (!out.empty()) out += ", ";
    out += MethodName(m);
  }
  return out;
}

struct Router::Impl {
  std::vector<Route> routes;
  // Route indices by number of segments, in insertion order: a path is only compared with
  // the routes of its own depth (the gateway registers hundreds of routes).
  std::vector<std::vector<std::size_t>> by_depth;
  ResponseDecorator decorator;
};

Router::Router() : impl_(std::make_unique<Impl>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

void Router::Add(Method method, std::string pattern, Handler handler, RouteOptions options) {
  if (!handler) throw std::invalid_argument("route handler is empty: " + pattern);
  auto segments = ParsePattern(pattern);
  for (const auto& r : impl_->routes) {
    if (r.method != method || r.segments.size() != segments.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < segments.size() && same; ++i) {
      same = r.segments[i].kind == segments[i].kind &&
             (segments[i].kind != SegmentKind::kLiteral || r.segments[i].text == segments[i].text) &&
             r.segments[i].suffix == segments[i].suffix;
    }
    if (same) {
      throw std::invalid_argument("duplicate route " + std::string(MethodName(method)) + " " +
                                  pattern + " (conflicts with " + r.pattern + ")");
    }
  }
  const auto depth = segments.size();
  if (impl_->by_depth.size() <= depth) impl_->by_depth.resize(depth + 1);
  impl_->by_depth[depth].push_back(impl_->routes.size());
  impl_->routes.push_back(
      {method, std::move(pattern), std::move(segments), std::move(handler), options, {}});
}

void Router::AddAsync(Method method, std::string pattern, AsyncHandler handler) {
  if (!handler) throw std::invalid_argument("route handler is empty: " + pattern);
  Add(method, std::move(pattern), [](const Request&) -> Response {
    throw Error(ErrorCode::kInternal, "an asynchronous route cannot be dispatched synchronously");
  });
  auto& route = impl_->routes.back();
  route.async = std::move(handler);
  route.options.non_blocking = true;
}

void Router::SetResponseDecorator(ResponseDecorator decorator) {
  impl_->decorator = std::move(decorator);
}

const ResponseDecorator& Router::Decorator() const noexcept { return impl_->decorator; }

RouteMatch Router::Match(Method method, std::string_view raw_path) const {
  RouteMatch result;
  if (raw_path.empty() || raw_path.front() != '/') return result;
  const PathParts path_parts(raw_path);
  const auto parts = path_parts.View();

  const Route* best = nullptr;
  bool path_known = false;
  bool has_get = false;
  std::array<bool, std::size(kAllMethods)> allowed{};
  if (parts.size() >= impl_->by_depth.size()) return result;
  for (const auto index : impl_->by_depth[parts.size()]) {
    const auto& route = impl_->routes[index];
    if (!MatchRoute(route, parts, nullptr)) continue;
    path_known = true;
    allowed[static_cast<std::size_t>(route.method)] = true;
    has_get = has_get || route.method == Method::kGet;
    const bool method_fits =
        route.method == method || (method == Method::kHead && route.method == Method::kGet);
    if (!method_fits) continue;
    // An exact HEAD route beats the GET fallback for the same pattern specificity.
    const int order = best == nullptr ? 1 : CompareSpecificity(route, *best);
    const bool better =
        order > 0 || (order == 0 && route.method == method && best->method != method);
    if (better) best = &route;
  }
  if (best != nullptr) {
    result.outcome = RouteMatch::Outcome::kMatched;
    result.handler = &best->handler;
    if (best->async) result.async_handler = &best->async;
    result.options = best->options;
    result.pattern = best->pattern;
    if (!MatchRoute(*best, parts, &result.params)) {
      result = RouteMatch{};  // a parameter with malformed percent-encoding
    }
    return result;
  }
  if (path_known) {
    result.outcome = RouteMatch::Outcome::kMethodNotAllowed;
    if (has_get) allowed[static_cast<std::size_t>(Method::kHead)] = true;
    for (std::size_t i = 0; i < allowed.size(); ++i) {
      if (allowed[i]) result.allowed.push_back(kAllMethods[i]);
    }
  }
  return result;
}

Response Router::Dispatch(Request& request) const {
  auto match = Match(request.GetMethod(), request.RawPath());
  if (match.outcome != RouteMatch::Outcome::kMatched) throw MatchError(request, match);
  request.SetRoute(match.pattern, std::move(match.params));
  return (*match.handler)(request);
}

Error Router::MatchError(const Request& request, const RouteMatch& match) const {
  if (match.outcome == RouteMatch::Outcome::kMethodNotAllowed) {
    return Error(ErrorCode::kMethodNotAllowed,
                 "method " + std::string(request.MethodName()) + " is not allowed on " +
                     request.Path(),
                 {}, {"use one of: " + match.AllowHeader()});
  }
  std::vector<std::string> suggestions;
  const auto& raw = request.RawPath();
  const std::string other = raw.size() > 1 && raw.back() == '/' ? raw.substr(0, raw.size() - 1)
                                                                 : raw + "/";
  if (Match(request.GetMethod(), other).outcome != RouteMatch::Outcome::kNotFound) {
    suggestions.push_back("did you mean " + other + " ?");
  }
  return Error(ErrorCode::kNotFound, "no route for " + request.Path(), {}, std::move(suggestions));
}

}  // namespace dbaas::http

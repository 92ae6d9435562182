#include "domain/rate_limit_policy.hpp"

#include <charconv>
#include <optional>

#include "dbaas/common/error.hpp"

namespace dbaas::gateway {
namespace {

constexpr std::int64_t kMaxSpecValue = 1'000'000'000;

std::optional<std::int64_t> ParsePositive(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < 1 || value > kMaxSpecValue) {
    return std::nullopt;
  }
  return value;
}

std::unique_ptr<auth::RateLimiter> MakeLimiter(const RateSpec& spec, std::string name,
                                               const Clock& clock) {
  auth::RateLimiter::Options options;
  options.bucket = spec.Bucket();
  options.policy_name = std::move(name);
  options.clock = &clock;
  return std::make_unique<auth::RateLimiter>(options);
}

}  // namespace

std::string_view PolicyName(RouteClass route_class) noexcept {
  switch (route_class) {
    case RouteClass::kRead:
      return "reads";
    case RouteClass::kWrite:
      return "writes";
    case RouteClass::kAuth:
      return "auth";
  }
  return "writes";
}

RouteClass ClassifyRoute(std::string_view method, std::string_view raw_path) noexcept {
  if (raw_path == "/v1/auth" || raw_path.starts_with("/v1/auth/")) return RouteClass::kAuth;
  if (method == "GET" || method == "HEAD" || method == "OPTIONS") return RouteClass::kRead;
  return RouteClass::kWrite;
}

auth::TokenBucket RateSpec::Bucket() const noexcept {
  return auth::TokenBucket{static_cast<double>(requests) / static_cast<double>(seconds),
                           static_cast<double>(burst)};
}

RateSpec ParseRateSpec(std::string_view text) {
  const Error bad(ErrorCode::kInvalidArgument,
                  "expected <requests>/<seconds>[:burst] with whole numbers from 1 to 10^9, "
                  "e.g. 600/60:100");
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) throw bad;
  const auto colon = text.find(':', slash);
  const auto requests = ParsePositive(text.substr(0, slash));
  const auto seconds = ParsePositive(
      text.substr(slash + 1, colon == std::string_view::npos ? colon : colon - slash - 1));
  if (!requests || !seconds) throw bad;
  RateSpec spec{*requests, *seconds, *requests};
  if (colon != std::string_view::npos) {
    const auto burst = ParsePositive(text.substr(colon + 1));
    if (!burst) throw bad;
    spec.burst = *burst;
  }
  return spec;
}

RateLimitSettings RateLimitSettings::FromConfig(ConfigReader& cfg) {
  RateLimitSettings settings;
  const auto read = [&cfg](std::string_view name, RateSpec& spec) {
    const auto text = cfg.String(name, "");
    if (text.empty()) return;
    try {
      spec = ParseRateSpec(text);
    } catch (const Error& e) {
      cfg.Fail(name, e.what());
    }
  };
  read("DBAAS_RATE_LIMIT_READS", settings.reads);
  read("DBAAS_RATE_LIMIT_WRITES", settings.writes);
  read("DBAAS_RATE_LIMIT_AUTH", settings.auth);
  read("DBAAS_RATE_LIMIT_GLOBAL", settings.global);
  return settings;
}

GatewayLimiter::GatewayLimiter(const RateLimitSettings& settings, const Clock& clock)
    : reads_(MakeLimiter(settings.reads, "reads", clock)),
      writes_(MakeLimiter(settings.writes, "writes", clock)),
      auth_(MakeLimiter(settings.auth, "auth", clock)),
      global_(MakeLimiter(settings.global, "global", clock)) {}

auth::RateLimiter& GatewayLimiter::For(RouteClass route_class) {
  switch (route_class) {
    case RouteClass::kRead:
      return *reads_;
    case RouteClass::kAuth:
      return *auth_;
    case RouteClass::kWrite:
      break;
  }
  return *writes_;
}

GatewayLimiter::Outcome GatewayLimiter::Check(std::string_view client_key, RouteClass route_class) {
  const auto client = For(route_class).Take(client_key);
  Outcome outcome;
  if (!client) {
    outcome.limited_by = "client";
    outcome.headers = auth::HeadersFor(client);
    return outcome;
  }
  const auto global = global_->Take("global");
  if (!global) {
    outcome.limited_by = "global";
    outcome.headers = auth::HeadersFor(global);
    return outcome;
  }
  outcome.allowed = true;
  outcome.headers = auth::HeadersFor(client);
  return outcome;
}

}  // namespace dbaas::gateway

#include "dbaas/auth/rate_limit_headers.hpp"

#include <algorithm>

#include "dbaas/common/error.hpp"

namespace dbaas::auth {
namespace {

// RFC 9651 section 4.1.6: an sf-string is DQUOTE, printable ASCII with '"' and '\' escaped,
// DQUOTE.
void AppendSfString(std::string& out, std::string_view text) {
  if (!IsValidPolicyName(text)) {
    throw Error(ErrorCode::kInvalidArgument, "rate limit policy name must be printable ASCII");
  }
  out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

// RFC 9651 section 4.1.4: sf-integer; the draft's parameters are non-negative.
void AppendIntParam(std::string& out, std::string_view name, std::int64_t value) {
  if (value < 0) throw Error(ErrorCode::kInvalidArgument, "rate limit values must not be negative");
  out += ';';
  out += name;
  out += '=';
  out += std::to_string(value);
}

}  // namespace

bool IsValidPolicyName(std::string_view name) noexcept {
  return std::all_of(name.begin(), name.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
}

std::string FormatRateLimitPolicy(std::span<const RateLimitPolicy> policies) {
  std::string out;
  for (const auto& policy : policies) {
    if (!out.empty()) out += ", ";
    AppendSfString(out, policy.name);
    AppendIntParam(out, "q", policy.quota);
    AppendIntParam(out, "w", policy.window_seconds);
  }
  return out;
}

std::string FormatRateLimit(std::span<const RateLimitStatus> statuses) {
  std::string out;
  for (const auto& status : statuses) {
    if (!out.empty()) out += ", ";
    AppendSfString(out, status.name);
    AppendIntParam(out, "r", status.remaining);
    AppendIntParam(out, "t", status.reset_seconds);
  }
  return out;
}

RateLimitHeaders HeadersFor(const RateLimiter::Decision& decision) {
  const RateLimitPolicy policy{decision.policy_name, decision.limit, decision.window_seconds};
  const RateLimitStatus status{decision.policy_name, decision.remaining, decision.reset_seconds};
  RateLimitHeaders headers;
  headers.policy = FormatRateLimitPolicy({&policy, 1});
  headers.limit = FormatRateLimit({&status, 1});
  if (!decision.allowed) headers.retry_after = std::to_string(decision.retry_after_seconds);
  return headers;
}

}  // namespace dbaas::auth

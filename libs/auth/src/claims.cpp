#include "dbaas/auth/claims.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"

namespace dbaas::auth {
namespace {

// NumericDates beyond this (about year 33658) are nonsense and would overflow time arithmetic.
constexpr double kMaxNumericDate = 1e12;

constexpr std::array<const char*, 10> kKnownClaims = {"iss", "sub", "aud", "exp",   "nbf",
                                                      "iat", "jti", "tid", "roles", "kind"};

[[noreturn]] void Malformed(const char* claim, const char* expected) {
  throw Error(ErrorCode::kUnauthenticated,
              std::string("invalid token: claim \"") + claim + "\" is not " + expected);
}

std::string StringClaim(const nlohmann::json& payload, const char* name) {
  const auto it = payload.find(name);
  if (it == payload.end() || it->is_null()) return {};
  if (!it->is_string()) Malformed(name, "a string");
  return it->get<std::string>();
}

std::optional<std::int64_t> DateClaim(const nlohmann::json& payload, const char* name) {
  const auto it = payload.find(name);
  if (it == payload.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) Malformed(name, "a NumericDate");
  const double value = it->get<double>();
  if (!std::isfinite(value) || std::fabs(value) > kMaxNumericDate) Malformed(name, "a NumericDate");
  if (it->is_number_integer()) return it->get<std::int64_t>();
  return static_cast<std::int64_t>(std::floor(value));
}

std::vector<std::string> StringList(const nlohmann::json& payload, const char* name,
                                    bool allow_single) {
  const auto it = payload.find(name);
  if (it == payload.end() || it->is_null()) return {};
  if (allow_single && it->is_string()) return {it->get<std::string>()};
  if (!it->is_array()) Malformed(name, "a list of strings");
  std::vector<std::string> out;
  out.reserve(it->size());
  for (const auto& item : *it) {
    if (!item.is_string()) Malformed(name, "a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

bool Claims::HasAudience(std::string_view audience) const noexcept {
  return std::find(aud.begin(), aud.end(), audience) != aud.end();
}

nlohmann::json ToJson(const Claims& claims) {
  nlohmann::json out = nlohmann::json::object();
  if (claims.raw && claims.raw->is_object()) {
    for (const auto& [name, value] : claims.raw->items()) {
      if (std::find_if(kKnownClaims.begin(), kKnownClaims.end(),
                       [&](const char* known) { return name == known; }) == kKnownClaims.end()) {
        out[name] = value;
      }
    }
  }
  const auto put_string = [&](const char* name, const std::string& value) {
    if (!value.empty()) out[name] = value;
  };
  put_string("iss", claims.iss);
  put_string("sub", claims.sub);
  if (claims.aud.size() == 1) {
    out["aud"] = claims.aud.front();
  } else if (!claims.aud.empty()) {
    out["aud"] = claims.aud;
  }
  if (claims.exp) out["exp"] = *claims.exp;
  if (claims.nbf) out["nbf"] = *claims.nbf;
  if (claims.iat) out["iat"] = *claims.iat;
  put_string("jti", claims.jti);
  put_string("tid", claims.tid);
  if (!claims.roles.empty()) out["roles"] = claims.roles;
  put_string("kind", claims.kind);
  return out;
}

Claims ClaimsFromJson(const nlohmann::json& payload) {
  if (!payload.is_object()) {
    throw Error(ErrorCode::kUnauthenticated, "invalid token: payload is not a JSON object");
  }
  Claims claims;
  claims.iss = StringClaim(payload, "iss");
  claims.sub = StringClaim(payload, "sub");
  claims.aud = StringList(payload, "aud", true);
  claims.exp = DateClaim(payload, "exp");
  claims.nbf = DateClaim(payload, "nbf");
  claims.iat = DateClaim(payload, "iat");
  claims.jti = StringClaim(payload, "jti");
  claims.tid = StringClaim(payload, "tid");
  claims.roles = StringList(payload, "roles", false);
  claims.kind = StringClaim(payload, "kind");
  claims.raw = std::make_shared<const nlohmann::json>(payload);
  return claims;
}

}  // namespace dbaas::auth

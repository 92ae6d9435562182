#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbaas::auth {

/// The "kind" claim values: who a token stands for.
inline constexpr std::string_view kKindUser = "user";
inline constexpr std::string_view kKindApiKey = "api_key";
inline constexpr std::string_view kKindService = "service";

/// The claims of a JWT: the registered ones (RFC 7519 section 4.1) plus the platform's own.
/// Times are NumericDate: whole seconds since the Unix epoch.
struct Claims {
  std::string iss;
  std::string sub;
  /// "aud" may be a string or an array on the wire; it is always a list here. A single audience
  /// is written as a string.
  std::vector<std::string> aud;
  std::optional<std::int64_t> exp;
  std::optional<std::int64_t> nbf;
  std::optional<std::int64_t> iat;
  std::string jti;
  /// Tenant id ("tid"); empty for platform-wide identities.
  std::string tid;
  /// Role names ("roles").
  std::vector<std::string> roles;
  /// One of kKindUser, kKindApiKey, kKindService ("kind"); empty when absent.
  std::string kind;
  /// The whole payload object as received (set by Verify and FromJson), for custom claims such
  /// as an OIDC provider's "groups" or "email". When signing, members of `raw` other than the
  /// fields above are copied into the token, so custom claims survive a round trip.
  std::shared_ptr<const nlohmann::json> raw;

  /// True when `audience` is among aud.
  bool HasAudience(std::string_view audience) const noexcept;
};

/// The payload object of `claims` (absent optional/empty fields are left out).
nlohmann::json ToJson(const Claims& claims);
/// Reads a payload object. Wrong member types (e.g. a string "exp", a non-string in "roles")
/// throw Error{UNAUTHENTICATED}, since the payload came from a token.
Claims ClaimsFromJson(const nlohmann::json& payload);

}  // namespace dbaas::auth

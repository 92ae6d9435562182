#include "dbaas/auth/jwt.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

#include "base64url.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "key_handle.hpp"

namespace dbaas::auth {
namespace {

constexpr std::array<std::string_view, 2> kSupportedAlgorithms = {"ES256", "RS256"};
constexpr std::chrono::seconds kMaxLeeway{3600};

// Reasons name the failed check only: never the token, its claims or attacker-chosen values.
[[noreturn]] void Reject(std::string_view reason) {
  throw Error(ErrorCode::kUnauthenticated, "invalid token: " + std::string(reason));
}

nlohmann::json DecodeJsonSegment(std::string_view segment, std::string_view what) {
  const auto bytes = detail::DecodeBase64UrlStrict(segment);
  if (!bytes) Reject(std::string(what) + " is not base64url");
  auto json = nlohmann::json::parse(*bytes, nullptr, false);
  if (json.is_discarded()) Reject(std::string(what) + " is not valid JSON");
  if (!json.is_object()) Reject(std::string(what) + " is not a JSON object");
  return json;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

KeyType KeyTypeFor(std::string_view alg) {
  return alg == "ES256" ? KeyType::kEcP256 : KeyType::kRsa;
}

}  // namespace

std::string Sign(const SigningKey& key, const Claims& claims) {
  const nlohmann::json header = {{"alg", key.Alg()}, {"typ", "JWT"}, {"kid", key.Kid()}};
  std::string token = crypto::Base64UrlEncode(header.dump());
  token += '.';
  try {
    token += crypto::Base64UrlEncode(ToJson(claims).dump());
  } catch (const nlohmann::json::type_error&) {
    throw Error(ErrorCode::kInvalidArgument, "JWT claims must be valid UTF-8");
  }
  const std::string signature = key.SignBytes(token);
  token += '.';
  token += crypto::Base64UrlEncode(signature);
  return token;
}

Verifier::Verifier(VerifierOptions options) : options_(std::move(options)) {
  if (options_.issuers.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "verifier needs at least one accepted issuer");
  }
  if (options_.audience.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "verifier needs an audience");
  }
  if (options_.clock == nullptr) throw Error(ErrorCode::kInvalidArgument, "verifier needs a clock");
  if (options_.leeway < std::chrono::seconds(0) || options_.leeway > kMaxLeeway) {
    throw Error(ErrorCode::kInvalidArgument, "verifier leeway must be between 0 s and 1 h");
  }
  for (const auto& alg : options_.algorithms) {
    if (std::find(kSupportedAlgorithms.begin(), kSupportedAlgorithms.end(), alg) ==
        kSupportedAlgorithms.end()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "unsupported JWT algorithm \"" + alg + "\" (only ES256 and RS256)");
    }
  }
}

Claims Verifier::Verify(std::string_view token, const KeyLookup& keys) const {
  if (token.empty()) Reject("empty token");
  if (token.size() > kMaxTokenSize) Reject("token too large");
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    Reject("not a JWS compact token (expected three dot-separated parts)");
  }
  const std::string_view header_b64 = token.substr(0, first);
  const std::string_view payload_b64 = token.substr(first + 1, second - first - 1);
  const std::string_view signature_b64 = token.substr(second + 1);

  const nlohmann::json header = DecodeJsonSegment(header_b64, "header");
  const auto alg_it = header.find("alg");
  if (alg_it == header.end() || !alg_it->is_string()) Reject("header has no alg");
  const std::string alg = alg_it->get<std::string>();
  const std::string alg_lower = Lower(alg);
  if (alg_lower == "none" || alg.empty()) Reject("unsigned tokens (alg none) are not accepted");
  if (alg_lower.rfind("hs", 0) == 0) Reject("symmetric (HMAC) algorithms are not accepted");
  if (std::find(options_.algorithms.begin(), options_.algorithms.end(), alg) ==
      options_.algorithms.end()) {
    Reject("algorithm not allowed");
  }
  // RFC 7515 section 4.1.11: extensions we do not understand must make the token invalid.
  if (header.contains("crit")) Reject("unsupported critical header parameters");
  const auto kid_it = header.find("kid");
  if (kid_it == header.end() || !kid_it->is_string() || kid_it->get<std::string>().empty()) {
    Reject("header has no kid");
  }

  if (payload_b64.empty() || signature_b64.empty()) Reject("empty payload or signature");
  const auto signature = detail::DecodeBase64UrlStrict(signature_b64);
  if (!signature) Reject("signature is not base64url");

  const std::optional<PublicKey> key = keys ? keys(kid_it->get<std::string>()) : std::nullopt;
  if (!key) Reject("unknown signing key id");
  // Without this check an RS256 token could be checked against an EC key (or the reverse):
  // the key decides the algorithm, never the token alone.
  if (key->Type() != KeyTypeFor(alg)) Reject("algorithm does not match the signing key type");
  if (!detail::VerifySignature(*key, token.substr(0, second), *signature)) Reject("bad signature");

  Claims claims = ClaimsFromJson(DecodeJsonSegment(payload_b64, "payload"));
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(options_.clock->Now().time_since_epoch())
          .count();
  const std::int64_t leeway = options_.leeway.count();
  if (!claims.exp) Reject("missing exp claim");
  if (*claims.exp + leeway < now) Reject("token expired");
  if (claims.nbf && *claims.nbf - leeway > now) Reject("token not yet valid (nbf)");
  if (std::find(options_.issuers.begin(), options_.issuers.end(), claims.iss) ==
      options_.issuers.end()) {
    Reject("wrong issuer");
  }
  if (!claims.HasAudience(options_.audience)) Reject("wrong audience");
  return claims;
}

}  // namespace dbaas::auth

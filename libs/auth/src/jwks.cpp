#include "dbaas/auth/jwks.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"

namespace dbaas::auth {
namespace {

[[noreturn]] void Invalid(std::string message) {
  throw Error(ErrorCode::kInvalidArgument, std::move(message));
}

// Keys of kinds we cannot verify with are legitimately present in providers' JWKS documents
// (encryption keys, other curves); they are not errors.
bool IsUsableSigningJwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return false;
  const auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) return false;
  if (const auto use = jwk.find("use"); use != jwk.end() && *use != "sig") return false;
  const auto kid = jwk.find("kid");
  if (kid == jwk.end() || !kid->is_string() || kid->get<std::string>().empty()) return false;
  if (*kty == "RSA") return true;
  if (*kty == "EC") {
    const auto crv = jwk.find("crv");
    return crv != jwk.end() && *crv == "P-256";
  }
  return false;
}

}  // namespace

JwkSet::JwkSet(std::vector<PublicKey> keys) {
  keys_.reserve(keys.size());
  for (auto& key : keys) Add(std::move(key));
}

JwkSet JwkSet::Parse(std::string_view document) {
  auto json = nlohmann::json::parse(document, nullptr, false);
  if (json.is_discarded()) Invalid("JWKS document is not valid JSON");
  return FromJson(json);
}

JwkSet JwkSet::FromJson(const nlohmann::json& document) {
  if (!document.is_object()) Invalid("JWKS document is not an object");
  const auto keys = document.find("keys");
  if (keys == document.end() || !keys->is_array()) Invalid("JWKS document has no \"keys\" array");
  JwkSet set;
  for (const auto& jwk : *keys) {
    if (!IsUsableSigningJwk(jwk)) continue;
    set.Add(PublicKey::FromJwk(jwk));
  }
  return set;
}

void JwkSet::Add(PublicKey key) {
  if (key.Kid().empty()) Invalid("a JWKS key needs a kid");
  if (Find(key.Kid()) != nullptr) Invalid("duplicate kid in JWKS");
  keys_.push_back(std::move(key));
}

const PublicKey* JwkSet::Find(std::string_view kid) const noexcept {
  const auto it = std::find_if(keys_.begin(), keys_.end(),
                               [&](const PublicKey& key) { return key.Kid() == kid; });
  return it == keys_.end() ? nullptr : &*it;
}

nlohmann::json JwkSet::ToJson() const {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& key : keys_) keys.push_back(key.ToJwk());
  return nlohmann::json{{"keys", std::move(keys)}};
}

std::string JwkSet::Serialize() const {
  return ToJson().dump();
}

}  // namespace dbaas::auth

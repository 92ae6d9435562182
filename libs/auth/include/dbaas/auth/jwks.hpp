#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/auth/key.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::auth {

/// A JSON Web Key Set (RFC 7517 section 5) of public verification keys, looked up by kid.
/// Not synchronised: build it, then share it read-only (or copy it) across threads.
class JwkSet {
 public:
  JwkSet() = default;
  /// Throws Error{INVALID_ARGUMENT} when two keys share a kid or a key has no kid.
  explicit JwkSet(std::vector<PublicKey> keys);

  /// Parses a JWKS document `{"keys":[...]}`. Keys this library cannot verify with (other kty or
  /// curves, "use":"enc", no kid) are skipped so one provider key of another kind does not break
  /// the rest; a malformed EC/RSA key or a malformed document throws Error{INVALID_ARGUMENT}.
  static JwkSet Parse(std::string_view document);
  static JwkSet FromJson(const nlohmann::json& document);

  /// Adds a key; throws Error{INVALID_ARGUMENT} when its kid is empty or already present.
  void Add(PublicKey key);
  /// The key with this kid, or nullptr. The pointer lives as long as this set is not modified.
  const PublicKey* Find(std::string_view kid) const noexcept;
  const std::vector<PublicKey>& Keys() const noexcept { return keys_; }
  bool Empty() const noexcept { return keys_.empty(); }

  /// `{"keys":[jwk, ...]}` with kty/crv/x/y or kty/n/e plus kid, use and alg.
  nlohmann::json ToJson() const;
  /// ToJson() as text, as served at /.well-known/jwks.json.
  std::string Serialize() const;

 private:
  std::vector<PublicKey> keys_;
};

/// The name used across the platform's code and docs.
using Jwks = JwkSet;

}  // namespace dbaas::auth

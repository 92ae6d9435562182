#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "dbaas/common/error.hpp"

namespace dbaas::auth {

/// The asymmetric key types JWTs may be signed with. Symmetric (HS*) keys do not exist here on
/// purpose: a verifier that accepts them can be fooled with a public key used as an HMAC secret.
enum class KeyType {
  kEcP256,  ///< ECDSA on P-256, JWS "ES256"
  kRsa,     ///< RSA, JWS "RS256" (PKCS#1 v1.5 with SHA-256)
};

/// The JWS algorithm name of a key type: "ES256" or "RS256".
std::string_view AlgorithmFor(KeyType type) noexcept;

namespace detail {
struct KeyHandle;  // owns an OpenSSL EVP_PKEY; defined in src/key_handle.hpp
}

/// A public verification key with its key id. Immutable; cheap to copy (shared); safe to use
/// from many threads at once.
class PublicKey {
 public:
  /// Parses one JWK object: kty "EC" with crv "P-256" (x, y) or kty "RSA" (n, e, at least 2048
  /// bits). Keeps kid and, when present, alg. Throws Error{INVALID_ARGUMENT} naming the problem.
  static PublicKey FromJwk(const nlohmann::json& jwk);
  /// Parses a PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----") holding a P-256 or RSA
  /// (>= 2048 bits) key. Throws Error{INVALID_ARGUMENT}.
  static PublicKey FromPem(std::string_view pem, std::string kid);

  const std::string& Kid() const noexcept { return kid_; }
  KeyType Type() const noexcept { return type_; }
  /// The JWS algorithm this key may verify; a JWK's "alg", when given, must agree with the type.
  std::string_view Alg() const noexcept { return AlgorithmFor(type_); }
  /// The public JWK: {kty, crv, x, y, kid, use:"sig", alg} or {kty, n, e, kid, use:"sig", alg}.
  nlohmann::json ToJwk() const;
  /// PEM SubjectPublicKeyInfo.
  std::string ToPem() const;
  /// RFC 7638 JWK thumbprint (base64url SHA-256 of the canonical public members).
  std::string Thumbprint() const;

  /// Internal: the OpenSSL key, for the library's own sources.
  const detail::KeyHandle& Handle() const noexcept { return *handle_; }

 private:
  PublicKey(std::shared_ptr<const detail::KeyHandle> handle, KeyType type, std::string kid);
  friend class SigningKey;

  std::shared_ptr<const detail::KeyHandle> handle_;
  KeyType type_;
  std::string kid_;
};

/// A private signing key with its key id. Immutable; cheap to copy (shared); thread-safe.
/// The private half never appears in logs or error messages; PrivatePem() is the only way out.
class SigningKey {
 public:
  /// A fresh P-256 key. An empty `kid` becomes the key's RFC 7638 thumbprint.
  static SigningKey GenerateEs256(std::string kid = {});
  /// A fresh RSA key of `bits` (>= 2048) for RS256. An empty `kid` becomes the thumbprint.
  static SigningKey GenerateRs256(int bits = 2048, std::string kid = {});
  /// Reads a PKCS#8 or traditional PEM private key (P-256 or RSA >= 2048 bits), e.g. one stored
  /// encrypted by access-control. An empty `kid` becomes the thumbprint.
  /// Throws Error{INVALID_ARGUMENT} without echoing the input.
  static SigningKey FromPrivatePem(std::string_view pem, std::string kid = {});

  const std::string& Kid() const noexcept { return public_.Kid(); }
  KeyType Type() const noexcept { return public_.Type(); }
  std::string_view Alg() const noexcept { return public_.Alg(); }
  /// Unencrypted PKCS#8 PEM of the private key. Secret: encrypt before storing.
  std::string PrivatePem() const;
  /// The matching public key (same kid).
  const PublicKey& Public() const noexcept { return public_; }
  /// The public JWK (same as Public().ToJwk()).
  nlohmann::json PublicJwk() const;
  /// The JWS signature of `signing_input` with this key's algorithm: 64 raw bytes r||s for
  /// ES256 (RFC 7518 section 3.4), the PKCS#1 v1.5 signature for RS256.
  std::string SignBytes(std::string_view signing_input) const;

 private:
  SigningKey(std::shared_ptr<const detail::KeyHandle> private_handle, PublicKey public_key);

  std::shared_ptr<const detail::KeyHandle> private_;
  PublicKey public_;
};

}  // namespace dbaas::auth

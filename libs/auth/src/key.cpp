#include "dbaas/auth/key.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cstring>
#include <memory>
#include <span>
#include <nlohmann/json.hpp>

#include "base64url.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "key_handle.hpp"

namespace dbaas::auth {
namespace {

constexpr int kMinRsaBits = 2048;
constexpr std::size_t kP256CoordinateSize = 32;

struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct BnFree {
  void operator()(BIGNUM* b) const noexcept { BN_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const noexcept { EVP_PKEY_CTX_free(c); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const noexcept { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const noexcept { ECDSA_SIG_free(s); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

[[noreturn]] void Invalid(std::string message) {
  ERR_clear_error();
  throw Error(ErrorCode::kInvalidArgument, std::move(message));
}

[[noreturn]] void Internal(std::string message) {
  ERR_clear_error();
  throw Error(ErrorCode::kInternal, std::move(message));
}

const unsigned char* Bytes(std::string_view s) noexcept {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Only P-256 and RSA of a safe size may sign or verify; everything else is refused at import,
// so the verifier never meets an unexpected key.
KeyType ClassifyOrThrow(EVP_PKEY* pkey) {
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_EC: {
      std::array<char, 64> group{};
      std::size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group.data(),
                                         group.size(), &len) != 1) {
        Invalid("EC key without a named curve");
      }
      const std::string_view name(group.data(), len);
      if (name != "prime256v1" && name != "P-256") Invalid("EC key is not on curve P-256");
      return KeyType::kEcP256;
    }
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(pkey) < kMinRsaBits) Invalid("RSA key shorter than 2048 bits");
      return KeyType::kRsa;
    default:
      Invalid("unsupported key type (only EC P-256 and RSA are accepted)");
  }
}

std::string BnParam(EVP_PKEY* pkey, const char* name, std::size_t pad_to) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) Internal("cannot read key parameter");
  BnPtr bn(raw);
  const std::size_t size = pad_to != 0 ? pad_to : static_cast<std::size_t>(BN_num_bytes(bn.get()));
  std::string out(size, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size)) <
      0) {
    Internal("cannot encode key parameter");
  }
  return out;
}

std::string ReadBio(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

const nlohmann::json& RequiredMember(const nlohmann::json& jwk, const char* name) {
  const auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    Invalid(std::string("JWK member \"") + name + "\" is missing or not a string");
  }
  return *it;
}

std::string DecodeMember(const nlohmann::json& jwk, const char* name) {
  auto bytes = detail::DecodeBase64UrlStrict(RequiredMember(jwk, name).get<std::string>());
  if (!bytes || bytes->empty()) {
    Invalid(std::string("JWK member \"") + name + "\" is not base64url");
  }
  return *bytes;
}

PkeyPtr FromParams(const char* algorithm, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) Internal("OpenSSL key setup");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    Invalid("JWK does not describe a valid public key");
  }
  PkeyPtr pkey(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    Invalid("JWK does not describe a valid public key");
  }
  return pkey;
}

PkeyPtr EcFromJwk(const nlohmann::json& jwk) {
  if (RequiredMember(jwk, "crv").get<std::string>() != "P-256") {
    Invalid("EC JWK curve is not P-256");
  }
  const std::string x = DecodeMember(jwk, "x");
  const std::string y = DecodeMember(jwk, "y");
  if (x.size() != kP256CoordinateSize || y.size() != kP256CoordinateSize) {
    Invalid("EC JWK coordinates must be 32 bytes");
  }
  const std::string point = std::string(1, '\x04') + x + y;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    Internal("OpenSSL key setup");
  }
  return FromParams("EC", bld.get());
}

PkeyPtr RsaFromJwk(const nlohmann::json& jwk) {
  const std::string n = DecodeMember(jwk, "n");
  const std::string e = DecodeMember(jwk, "e");
  BnPtr bn_n(BN_bin2bn(Bytes(n), static_cast<int>(n.size()), nullptr));
  BnPtr bn_e(BN_bin2bn(Bytes(e), static_cast<int>(e.size()), nullptr));
  if (!bn_n || !bn_e) Internal("OpenSSL key setup");
  if (BN_num_bits(bn_n.get()) < kMinRsaBits) Invalid("RSA JWK shorter than 2048 bits");
  if (!BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get())) Invalid("RSA JWK exponent is invalid");
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    Internal("OpenSSL key setup");
  }
  return FromParams("RSA", bld.get());
}

// A public-only copy, so a PublicKey never carries private material.
PkeyPtr PublicOnly(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) Internal("cannot export public key");
  const unsigned char* p = der;
  PkeyPtr out(d2i_PUBKEY(nullptr, &p, len));
  OPENSSL_free(der);
  if (!out) Internal("cannot export public key");
  return out;
}

int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return -1;
}

}  // namespace

std::string_view AlgorithmFor(KeyType type) noexcept {
  return type == KeyType::kEcP256 ? "ES256" : "RS256";
}

PublicKey::PublicKey(std::shared_ptr<const detail::KeyHandle> handle, KeyType type, std::string kid)
    : handle_(std::move(handle)), type_(type), kid_(std::move(kid)) {}

PublicKey PublicKey::FromJwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) Invalid("JWK is not an object");
  const std::string kty = RequiredMember(jwk, "kty").get<std::string>();
  PkeyPtr pkey;
  if (kty == "EC") {
    pkey = EcFromJwk(jwk);
  } else if (kty == "RSA") {
    pkey = RsaFromJwk(jwk);
  } else {
    Invalid("unsupported JWK kty (only EC and RSA are accepted)");
  }
  const KeyType type = ClassifyOrThrow(pkey.get());
  if (const auto use = jwk.find("use"); use != jwk.end() && *use != "sig") {
    Invalid("JWK use is not \"sig\"");
  }
  if (const auto alg = jwk.find("alg"); alg != jwk.end() && *alg != AlgorithmFor(type)) {
    Invalid("JWK alg does not match its key type");
  }
  std::string kid;
  if (const auto it = jwk.find("kid"); it != jwk.end()) {
    if (!it->is_string()) Invalid("JWK kid is not a string");
    kid = it->get<std::string>();
  }
  return PublicKey(std::make_shared<const detail::KeyHandle>(pkey.release()), type, std::move(kid));
}

PublicKey PublicKey::FromPem(std::string_view pem, std::string kid) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) Internal("OpenSSL BIO");
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!pkey) Invalid("not a PEM public key");
  const KeyType type = ClassifyOrThrow(pkey.get());
  return PublicKey(std::make_shared<const detail::KeyHandle>(pkey.release()), type, std::move(kid));
}

nlohmann::json PublicKey::ToJwk() const {
  nlohmann::json jwk;
  EVP_PKEY* pkey = handle_->pkey;
  if (type_ == KeyType::kEcP256) {
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    jwk["x"] =
        crypto::Base64UrlEncode(BnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_X, kP256CoordinateSize));
    jwk["y"] =
        crypto::Base64UrlEncode(BnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, kP256CoordinateSize));
  } else {
    jwk["kty"] = "RSA";
    jwk["n"] = crypto::Base64UrlEncode(BnParam(pkey, OSSL_PKEY_PARAM_RSA_N, 0));
    jwk["e"] = crypto::Base64UrlEncode(BnParam(pkey, OSSL_PKEY_PARAM_RSA_E, 0));
  }
  if (!kid_.empty()) jwk["kid"] = kid_;
  jwk["use"] = "sig";
  jwk["alg"] = Alg();
  return jwk;
}

std::string PublicKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), handle_->pkey) != 1) Internal("PEM export failed");
  return ReadBio(bio.get());
}

std::string PublicKey::Thumbprint() const {
  const nlohmann::json full = ToJwk();
  nlohmann::json canonical;
  // RFC 7638 section 3.2: only the required members, in lexicographic order (which is how
  // nlohmann::json orders object members) and without whitespace.
  static constexpr std::array<const char*, 4> kEcMembers{"crv", "kty", "x", "y"};
  static constexpr std::array<const char*, 3> kRsaMembers{"e", "kty", "n"};
  const std::span<const char* const> members =
      type_ == KeyType::kEcP256 ? std::span<const char* const>(kEcMembers)
                                : std::span<const char* const>(kRsaMembers);
  for (const char* name : members) canonical[name] = full.at(name);
  return crypto::Base64UrlEncode(crypto::Sha256(canonical.dump()));
}

SigningKey::SigningKey(std::shared_ptr<const detail::KeyHandle> private_handle,
                       PublicKey public_key)
    : private_(std::move(private_handle)), public_(std::move(public_key)) {}

namespace {

std::string PrivatePemOf(EVP_PKEY* pkey) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    Internal("private key export failed");
  }
  return ReadBio(bio.get());
}

SigningKey FromFreshKey(EVP_PKEY* pkey, std::string kid) {
  std::string pem = PrivatePemOf(pkey);
  SigningKey key = SigningKey::FromPrivatePem(pem, std::move(kid));
  OPENSSL_cleanse(pem.data(), pem.size());
  return key;
}

}  // namespace

SigningKey SigningKey::GenerateEs256(std::string kid) {
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!pkey) Internal("P-256 key generation failed");
  return FromFreshKey(pkey.get(), std::move(kid));
}

SigningKey SigningKey::GenerateRs256(int bits, std::string kid) {
  if (bits < kMinRsaBits) Invalid("RSA keys must have at least 2048 bits");
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
  if (!pkey) Internal("RSA key generation failed");
  return FromFreshKey(pkey.get(), std::move(kid));
}

SigningKey SigningKey::FromPrivatePem(std::string_view pem, std::string kid) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) Internal("OpenSSL BIO");
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!pkey) Invalid("not an unencrypted PEM private key");
  const KeyType type = ClassifyOrThrow(pkey.get());
  PkeyPtr pub = PublicOnly(pkey.get());
  PublicKey public_key(std::make_shared<const detail::KeyHandle>(pub.release()), type, {});
  public_key.kid_ = kid.empty() ? public_key.Thumbprint() : std::move(kid);
  return SigningKey(std::make_shared<const detail::KeyHandle>(pkey.release()),
                    std::move(public_key));
}

std::string SigningKey::PrivatePem() const {
  return PrivatePemOf(private_->pkey);
}

nlohmann::json SigningKey::PublicJwk() const {
  return public_.ToJwk();
}

std::string SigningKey::SignBytes(std::string_view signing_input) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, private_->pkey) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, Bytes(signing_input), signing_input.size()) != 1) {
    Internal("signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     Bytes(signing_input), signing_input.size()) != 1) {
    Internal("signing failed");
  }
  sig.resize(len);
  if (Type() == KeyType::kRsa) return sig;

  // OpenSSL produces DER; JWS wants the fixed-size concatenation r||s (RFC 7518 section 3.4).
  const unsigned char* p = Bytes(sig);
  EcdsaSigPtr ecdsa(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  if (!ecdsa) Internal("signing failed");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(ecdsa.get(), &r, &s);
  std::string raw(2 * kP256CoordinateSize, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kP256CoordinateSize) < 0 ||
      BN_bn2binpad(s, out + kP256CoordinateSize, kP256CoordinateSize) < 0) {
    Internal("signing failed");
  }
  return raw;
}

namespace detail {

bool VerifySignature(const PublicKey& key, std::string_view signing_input,
                     std::string_view signature) noexcept {
  EVP_PKEY* pkey = key.Handle().pkey;
  std::string der_holder;
  std::string_view to_check = signature;
  if (key.Type() == KeyType::kEcP256) {
    if (signature.size() != 2 * kP256CoordinateSize) return false;
    EcdsaSigPtr ecdsa(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(Bytes(signature), kP256CoordinateSize, nullptr);
    BIGNUM* s = BN_bin2bn(Bytes(signature) + kP256CoordinateSize, kP256CoordinateSize, nullptr);
    if (!ecdsa || r == nullptr || s == nullptr || ECDSA_SIG_set0(ecdsa.get(), r, s) != 1) {
      BN_free(r);
      BN_free(s);
      ERR_clear_error();
      return false;
    }
    unsigned char* der = nullptr;
    const int len = i2d_ECDSA_SIG(ecdsa.get(), &der);
    if (len <= 0) {
      ERR_clear_error();
      return false;
    }
    der_holder.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    to_check = der_holder;
  } else if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(pkey))) {
    return false;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok = ctx &&
                  EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
                  EVP_DigestVerify(ctx.get(), Bytes(to_check), to_check.size(),
                                   Bytes(signing_input), signing_input.size()) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace detail
}  // namespace dbaas::auth

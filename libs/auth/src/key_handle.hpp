#pragma once

#include <openssl/evp.h>

#include <string_view>

#include "dbaas/auth/key.hpp"

namespace dbaas::auth::detail {

/// Owns one EVP_PKEY. Only read after construction, so it may be shared across threads.
struct KeyHandle {
  explicit KeyHandle(EVP_PKEY* key) noexcept : pkey(key) {}
  ~KeyHandle() { EVP_PKEY_free(pkey); }
  KeyHandle(const KeyHandle&) = delete;
  KeyHandle& operator=(const KeyHandle&) = delete;

  EVP_PKEY* pkey;
};

/// Whether `signature` (JWS form: r||s for ES256) over `signing_input` verifies with `key`.
/// Never throws for bad input; false on any mismatch.
bool VerifySignature(const PublicKey& key, std::string_view signing_input,
                     std::string_view signature) noexcept;

}  // namespace dbaas::auth::detail

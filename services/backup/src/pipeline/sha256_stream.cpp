#include "pipeline/sha256_stream.hpp"

#include <openssl/evp.h>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::backup {

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw Error(ErrorCode::kInternal, "cannot set up SHA-256");
  }
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(ctx_); }

void Sha256Stream::Update(std::string_view bytes) {
  if (EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) != 1) {
    throw Error(ErrorCode::kInternal, "SHA-256 update failed");
  }
}

std::string Sha256Stream::FinishHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, digest, &len) != 1) {
    throw Error(ErrorCode::kInternal, "SHA-256 final failed");
  }
  return crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

}  // namespace dbaas::backup

#include "pipeline/backup_format.hpp"

#include <openssl/evp.h>

#include <algorithm>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::backup::format {
namespace {

// magic(8) version(1) compression(1) chunk size(4) key id length(1)
constexpr std::size_t kFixedPrefix = 8 + 1 + 1 + 4 + 1;

void PutU16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

std::uint16_t GetU16(std::string_view in) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(in[0]) << 8) |
                                    static_cast<unsigned char>(in[1]));
}

void PutU64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

}  // namespace

void PutU32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::uint32_t GetU32(std::string_view in) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[static_cast<std::size_t>(i)]);
  return v;
}

std::string SerializeHeader(const Header& h) {
  if (h.master_key_id.empty() || h.master_key_id.size() > 255) {
    throw Error(ErrorCode::kInvalidArgument, "master key id must be 1-255 bytes");
  }
  if (h.wrapped_data_key.empty() || h.wrapped_data_key.size() > 0xffff) {
    throw Error(ErrorCode::kInvalidArgument, "wrapped data key must be 1-65535 bytes");
  }
  if (h.nonce_prefix.size() != kNoncePrefixSize) {
    throw Error(ErrorCode::kInvalidArgument, "nonce prefix must be 4 bytes");
  }
  if (h.chunk_size == 0 || h.chunk_size > kMaxChunkSize) {
    throw Error(ErrorCode::kInvalidArgument, "chunk size must be 1 byte to 16 MiB");
  }
  std::string out(kMagic);
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(h.compression));
  PutU32(out, h.chunk_size);
  out.push_back(static_cast<char>(h.master_key_id.size()));
  out += h.master_key_id;
  PutU16(out, static_cast<std::uint16_t>(h.wrapped_data_key.size()));
  out += h.wrapped_data_key;
  out += h.nonce_prefix;
  return out;
}

std::size_t HeaderParser::Needed() const {
  if (done_) return 0;
  if (bytes_.size() < kFixedPrefix) return kFixedPrefix - bytes_.size();
  const std::size_t id_len = static_cast<unsigned char>(bytes_[kFixedPrefix - 1]);
  const std::size_t with_len = kFixedPrefix + id_len + 2;
  if (bytes_.size() < with_len) return with_len - bytes_.size();
  const std::size_t total = with_len + GetU16(std::string_view(bytes_).substr(with_len - 2)) +
                            kNoncePrefixSize;
  return total - bytes_.size();
}

bool HeaderParser::Feed(std::string_view input) {
  const auto corrupt = [this](const std::string& what) {
    return Error(ErrorCode::kFailedPrecondition, "backup " + name_ + " is corrupt: " + what, {},
                 {"restore from another backup"});
  };
  bytes_.append(input);
  const auto compared = std::min(bytes_.size(), kMagic.size());
  if (std::string_view(bytes_).substr(0, compared) != kMagic.substr(0, compared)) {
    throw Error(ErrorCode::kFailedPrecondition,
                "backup " + name_ + " is not a dbaas backup (wrong magic bytes)");
  }
  if (bytes_.size() >= kFixedPrefix && !done_) {
    const auto version = static_cast<std::uint8_t>(bytes_[8]);
    if (version != kVersion) {
      throw Error(ErrorCode::kFailedPrecondition,
                  "backup " + name_ + " has format version " + std::to_string(version) +
                      ", this build reads version " + std::to_string(kVersion));
    }
    const auto compression = CompressionFromByte(static_cast<std::uint8_t>(bytes_[9]));
    if (!compression) throw corrupt("unknown compression in the header");
    header_.compression = *compression;
    header_.chunk_size = GetU32(std::string_view(bytes_).substr(10));
    if (header_.chunk_size == 0 || header_.chunk_size > kMaxChunkSize) {
      throw corrupt("chunk size " + std::to_string(header_.chunk_size) + " out of range");
    }
    if (bytes_[kFixedPrefix - 1] == 0) throw corrupt("empty master key id");
  }
  if (Needed() != 0) return false;
  std::size_t pos = kFixedPrefix;
  const std::size_t id_len = static_cast<unsigned char>(bytes_[kFixedPrefix - 1]);
  header_.master_key_id = bytes_.substr(pos, id_len);
  pos += id_len;
  const std::size_t wrapped_len = GetU16(std::string_view(bytes_).substr(pos));
  pos += 2;
  header_.wrapped_data_key = bytes_.substr(pos, wrapped_len);
  pos += wrapped_len;
  header_.nonce_prefix = bytes_.substr(pos, kNoncePrefixSize);
  done_ = true;
  return true;
}

std::string FrameNonce(std::string_view nonce_prefix, std::uint64_t index) {
  std::string nonce(nonce_prefix);
  PutU64(nonce, index);
  return nonce;
}

std::string FrameAad(std::string_view header_hash, std::uint64_t index, bool final) {
  std::string aad(header_hash);
  PutU64(aad, index);
  aad.push_back(static_cast<char>(final ? kFinalFlag : 0));
  return aad;
}

struct FrameCipher::Impl {
  EVP_CIPHER_CTX* ctx = nullptr;
  std::string key;
  std::string header_hash;
  std::string nonce_prefix;
};

FrameCipher::FrameCipher(std::string_view key, std::string header_hash, std::string nonce_prefix)
    : impl_(std::make_unique<Impl>()) {
  if (key.size() != crypto::kKeySize) throw Error(ErrorCode::kInternal, "data key is not 32 bytes");
  impl_->ctx = EVP_CIPHER_CTX_new();
  if (impl_->ctx == nullptr) throw Error(ErrorCode::kInternal, "cannot set up AES-256-GCM");
  impl_->key = std::string(key);
  impl_->header_hash = std::move(header_hash);
  impl_->nonce_prefix = std::move(nonce_prefix);
}

FrameCipher::~FrameCipher() { EVP_CIPHER_CTX_free(impl_->ctx); }

namespace {
const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* U(std::string& s, std::size_t at) { return reinterpret_cast<unsigned char*>(s.data() + at); }
int Len(std::size_t n) { return static_cast<int>(n); }
}  // namespace

void FrameCipher::Seal(std::uint64_t index, bool final, std::string_view plaintext,
                       std::string& out) {
  auto* ctx = impl_->ctx;
  const auto nonce = FrameNonce(impl_->nonce_prefix, index);
  const auto aad = FrameAad(impl_->header_hash, index, final);
  out.push_back(static_cast<char>(final ? kFinalFlag : 0));
  PutU32(out, static_cast<std::uint32_t>(plaintext.size()));
  const std::size_t at = out.size();
  out.resize(at + plaintext.size() + kTagSize);
  int n = 0;
  bool ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, U(impl_->key), U(nonce)) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &n, U(aad), Len(aad.size())) == 1;
  if (ok && !plaintext.empty()) {
    ok = EVP_EncryptUpdate(ctx, U(out, at), &n, U(plaintext), Len(plaintext.size())) == 1;
  }
  int tail = 0;
  ok = ok && EVP_EncryptFinal_ex(ctx, U(out, at + plaintext.size()), &tail) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Len(kTagSize),
                           U(out, at + plaintext.size())) == 1;
  if (!ok) throw Error(ErrorCode::kInternal, "AES-256-GCM encryption failed");
}

bool FrameCipher::Open(std::uint64_t index, bool final, std::string_view sealed,
                       std::string& out) {
  if (sealed.size() < kTagSize) return false;
  auto* ctx = impl_->ctx;
  const auto nonce = FrameNonce(impl_->nonce_prefix, index);
  const auto aad = FrameAad(impl_->header_hash, index, final);
  const auto body = sealed.substr(0, sealed.size() - kTagSize);
  std::string tag(sealed.substr(body.size()));
  out.resize(body.size());
  int n = 0;
  bool ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, U(impl_->key), U(nonce)) == 1 &&
            EVP_DecryptUpdate(ctx, nullptr, &n, U(aad), Len(aad.size())) == 1;
  if (ok && !body.empty()) {
    ok = EVP_DecryptUpdate(ctx, U(out, 0), &n, U(body), Len(body.size())) == 1;
  }
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Len(kTagSize), tag.data()) == 1;
  int tail = 0;
  unsigned char scratch[16];
  ok = ok && EVP_DecryptFinal_ex(ctx, scratch, &tail) == 1;
  if (!ok) out.clear();
  return ok;
}

}  // namespace dbaas::backup::format

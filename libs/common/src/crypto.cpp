#include "dbaas/common/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <memory>
#include <stdexcept>

namespace dbaas::crypto {
namespace {

constexpr unsigned char kSealVersion = 0x01;
constexpr unsigned char kEnvelopeVersion = 0x02;
constexpr std::string_view kWrapAad = "dbaas/data-key";

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* MutableBytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }
int Len(std::string_view s) { return static_cast<int>(s.size()); }

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

CipherCtx NewCtx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw std::bad_alloc();
  return ctx;
}

void CheckKey(const Key& key) {
  if (key.bytes.size() != kKeySize) {
    throw Error(ErrorCode::kInternal, "AES-256 key '" + key.id + "' is not 32 bytes");
  }
  if (key.id.empty() || key.id.size() > 255) {
    throw Error(ErrorCode::kInternal, "key id must be 1..255 bytes");
  }
}

}  // namespace

std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(MutableBytes(out), static_cast<int>(n)) != 1) {
    throw Error(ErrorCode::kInternal, "the system random generator failed");
  }
  return out;
}

std::string RandomToken(std::size_t bytes) { return Base64UrlEncode(RandomBytes(bytes)); }

std::string Sha256(std::string_view data) {
  // Fetched once: OpenSSL 3's one-shot SHA256() looks the implementation up on every call,
  // which showed up in the gateway's profile (a token fingerprint per request).
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  if (md == nullptr ||
      EVP_Digest(Bytes(data), data.size(), MutableBytes(out), nullptr, md, nullptr) != 1) {
    throw Error(ErrorCode::kInternal, "SHA-256 failed");
  }
  return out;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), Len(key), Bytes(data), data.size(), MutableBytes(out),
           &len) == nullptr) {
    throw Error(ErrorCode::kInternal, "HMAC-SHA-256 failed");
  }
  out.resize(len);
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(MutableBytes(out), Bytes(bytes), Len(bytes));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    throw Error(ErrorCode::kInvalidArgument, "malformed base64: length is not a multiple of 4");
  }
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(MutableBytes(out), Bytes(text), Len(text));
  if (n < 0) throw Error(ErrorCode::kInvalidArgument, "malformed base64");
  std::size_t size = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  if (!text.empty() && text.back() == '=') --size;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out = Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return out;
}

std::string Base64UrlDecode(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/') throw Error(ErrorCode::kInvalidArgument, "malformed base64url");
  }
  while (standard.size() % 4 != 0) standard += '=';
  return Base64Decode(standard);
}

std::string KeyIdFor(std::string_view key_bytes, std::string_view prefix) {
  return std::string(prefix) + "-" + Sha256Hex(key_bytes).substr(0, 8);
}

Key GenerateKey(std::string_view prefix) {
  Key key;
  key.bytes = RandomBytes(kKeySize);
  key.id = KeyIdFor(key.bytes, prefix);
  return key;
}

std::string Seal(const Key& key, std::string_view plaintext, std::string_view aad) {
  CheckKey(key);
  const std::string nonce = RandomBytes(kNonceSize);
  std::string out;
  out.reserve(2 + key.id.size() + kNonceSize + plaintext.size() + kTagSize);
  out += static_cast<char>(kSealVersion);
  out += static_cast<char>(key.id.size());
  out += key.id;
  out += nonce;
  const std::size_t header_size = out.size();
  out.resize(header_size + plaintext.size() + kTagSize);

  auto ctx = NewCtx();
  int len = 0;
  // The header (version, key id, nonce) and the caller's AAD are both authenticated.
  const std::string_view header(out.data(), header_size);
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key.bytes), Bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(header), Len(header)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), Len(aad)) != 1) {
    throw Error(ErrorCode::kInternal, "AES-GCM initialisation failed");
  }
  auto* ct = MutableBytes(out) + header_size;
  if (!plaintext.empty() &&
      EVP_EncryptUpdate(ctx.get(), ct, &len, Bytes(plaintext), Len(plaintext)) != 1) {
    throw Error(ErrorCode::kInternal, "AES-GCM encryption failed");
  }
  int final_len = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), ct + plaintext.size(), &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          ct + plaintext.size()) != 1) {
    throw Error(ErrorCode::kInternal, "AES-GCM finalisation failed");
  }
  return out;
}

std::string SealedKeyId(std::string_view sealed) {
  if (sealed.size() < 2 || static_cast<unsigned char>(sealed[0]) != kSealVersion) {
    throw AuthenticationError("sealed data has an unknown format");
  }
  const auto id_len = static_cast<unsigned char>(sealed[1]);
  if (sealed.size() < 2 + id_len + kNonceSize + kTagSize) {
    throw AuthenticationError("sealed data is truncated");
  }
  return std::string(sealed.substr(2, id_len));
}

std::string Open(const Key& key, std::string_view sealed, std::string_view aad) {
  CheckKey(key);
  const std::string id = SealedKeyId(sealed);
  if (id != key.id) {
    throw AuthenticationError("sealed with key '" + id + "', not '" + key.id + "'");
  }
  const std::size_t header_size = 2 + id.size() + kNonceSize;
  const std::string_view header = sealed.substr(0, header_size);
  const std::string_view nonce = sealed.substr(2 + id.size(), kNonceSize);
  const std::string_view ct = sealed.substr(header_size, sealed.size() - header_size - kTagSize);
  std::string tag(sealed.substr(sealed.size() - kTagSize));

  auto ctx = NewCtx();
  int len = 0;
  std::string out(ct.size(), '\0');
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key.bytes), Bytes(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(header), Len(header)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), Len(aad)) != 1) {
    throw Error(ErrorCode::kInternal, "AES-GCM initialisation failed");
  }
  if (!ct.empty() && EVP_DecryptUpdate(ctx.get(), MutableBytes(out), &len, Bytes(ct), Len(ct)) != 1) {
    throw AuthenticationError("ciphertext failed authentication");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) != 1) {
    throw Error(ErrorCode::kInternal, "AES-GCM tag could not be set");
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), MutableBytes(out) + ct.size(), &final_len) != 1) {
    throw AuthenticationError("ciphertext failed authentication");
  }
  return out;
}

KeyRing::KeyRing(std::vector<Key> keys) : keys_(std::move(keys)) {
  for (const auto& k : keys_) CheckKey(k);
}

const Key& KeyRing::Primary() const {
  if (keys_.empty()) throw Error(ErrorCode::kInternal, "no master key is configured");
  return keys_.front();
}

const Key& KeyRing::Find(std::string_view id) const {
  for (const auto& k : keys_) {
    if (k.id == id) return k;
  }
  throw AuthenticationError("no master key with id '" + std::string(id) + "'");
}

std::string WrapDataKey(const KeyRing& ring, const Key& data_key) {
  return Seal(ring.Primary(), data_key.id + '\n' + data_key.bytes, kWrapAad);
}

Key UnwrapDataKey(const KeyRing& ring, std::string_view wrapped) {
  const Key& master = ring.Find(SealedKeyId(wrapped));
  const std::string plain = Open(master, wrapped, kWrapAad);
  const auto nl = plain.find('\n');
  if (nl == std::string::npos || plain.size() - nl - 1 != kKeySize) {
    throw AuthenticationError("wrapped data key is malformed");
  }
  return Key{plain.substr(0, nl), plain.substr(nl + 1)};
}

std::string SealEnvelope(const KeyRing& ring, std::string_view plaintext, std::string_view aad) {
  const Key data_key = GenerateKey("dk");
  const std::string wrapped = WrapDataKey(ring, data_key);
  std::string out;
  out += static_cast<char>(kEnvelopeVersion);
  out += static_cast<char>((wrapped.size() >> 8) & 0xFF);
  out += static_cast<char>(wrapped.size() & 0xFF);
  out += wrapped;
  out += Seal(data_key, plaintext, aad);
  return out;
}

std::string OpenEnvelope(const KeyRing& ring, std::string_view envelope, std::string_view aad) {
  if (envelope.size() < 3 || static_cast<unsigned char>(envelope[0]) != kEnvelopeVersion) {
    throw AuthenticationError("envelope has an unknown format");
  }
  const std::size_t wrapped_len = (static_cast<std::size_t>(static_cast<unsigned char>(envelope[1])) << 8) |
                                  static_cast<unsigned char>(envelope[2]);
  if (envelope.size() < 3 + wrapped_len) throw AuthenticationError("envelope is truncated");
  const Key data_key = UnwrapDataKey(ring, envelope.substr(3, wrapped_len));
  return Open(data_key, envelope.substr(3 + wrapped_len), aad);
}

}  // namespace dbaas::crypto

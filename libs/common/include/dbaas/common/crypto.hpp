#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/common/error.hpp"

/// Cryptographic primitives over OpenSSL 3. Byte strings are std::string holding raw bytes.
/// Every function is thread-safe.
namespace dbaas::crypto {

/// `n` bytes from the operating system's CSPRNG.
std::string RandomBytes(std::size_t n);
/// A URL-safe random token carrying `bytes` bytes of entropy (base64url, no padding).
std::string RandomToken(std::size_t bytes = 32);

/// SHA-256 digest (32 raw bytes).
std::string Sha256(std::string_view data);
/// SHA-256 digest as 64 lower-case hex characters.
std::string Sha256Hex(std::string_view data);
/// HMAC-SHA-256 (32 raw bytes).
std::string HmacSha256(std::string_view key, std::string_view data);
/// Compares without leaking the position of the first difference through timing.
bool ConstantTimeEquals(std::string_view a, std::string_view b) noexcept;

std::string HexEncode(std::string_view bytes);
std::string Base64Encode(std::string_view bytes);
/// Throws Error{INVALID_ARGUMENT} on malformed input.
std::string Base64Decode(std::string_view text);
std::string Base64UrlEncode(std::string_view bytes);
/// Accepts input with or without padding; throws Error{INVALID_ARGUMENT} on malformed input.
std::string Base64UrlDecode(std::string_view text);

/// Thrown when ciphertext fails authentication (tampered, truncated, wrong key or AAD).
class AuthenticationError : public Error {
 public:
  explicit AuthenticationError(std::string message)
      : Error(ErrorCode::kInternal, std::move(message)) {}
};

inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kNonceSize = 12;
inline constexpr std::size_t kTagSize = 16;

/// A 256-bit AES key and its identifier (recorded in everything sealed with it).
struct Key {
  std::string id;
  std::string bytes;  // kKeySize raw bytes
};

/// A fresh random key; its id is "<prefix>-" plus 8 hex chars of SHA-256 of the key.
Key GenerateKey(std::string_view prefix = "k");
/// The stable id of a key's bytes: "<prefix>-" plus 8 hex chars of its SHA-256.
std::string KeyIdFor(std::string_view key_bytes, std::string_view prefix = "k");

/// AES-256-GCM with a random 96-bit nonce. Output layout (all of it authenticated):
/// [0x01][key id length: 1 byte][key id][nonce: 12][ciphertext][tag: 16].
/// `aad` binds the ciphertext to its context (e.g. the owning row id); it is not stored.
std::string Seal(const Key& key, std::string_view plaintext, std::string_view aad = {});
/// The key id recorded in sealed data; throws AuthenticationError when malformed.
std::string SealedKeyId(std::string_view sealed);
/// Reverses Seal; throws AuthenticationError on any tampering or a wrong key/AAD.
std::string Open(const Key& key, std::string_view sealed, std::string_view aad = {});

/// The platform's master keys: the first is primary (used to wrap new data keys), the others
/// are kept so data wrapped before a rotation still opens.
class KeyRing {
 public:
  KeyRing() = default;
  explicit KeyRing(std::vector<Key> keys);
  const Key& Primary() const;
  /// Throws AuthenticationError when no key has this id.
  const Key& Find(std::string_view id) const;
  bool Empty() const noexcept { return keys_.empty(); }
  const std::vector<Key>& Keys() const noexcept { return keys_; }

 private:
  std::vector<Key> keys_;
};

/// Envelope encryption: a fresh data key per object seals the plaintext; the data key is sealed
/// ("wrapped") by the ring's primary master key. Layout:
/// [0x02][wrapped key length: 2 bytes big-endian][wrapped data key][sealed plaintext].
std::string SealEnvelope(const KeyRing& ring, std::string_view plaintext,
                         std::string_view aad = {});
/// Reverses SealEnvelope with whichever master key wrapped it.
std::string OpenEnvelope(const KeyRing& ring, std::string_view envelope,
                         std::string_view aad = {});
/// Wraps a data key with the primary master key (for callers that stream with the data key).
std::string WrapDataKey(const KeyRing& ring, const Key& data_key);
Key UnwrapDataKey(const KeyRing& ring, std::string_view wrapped);

/// Loads master keys from `path` (one base64 key per line, primary first), creating the file
/// with mode 0600 holding one new key when it does not exist. Throws Error{FAILED_PRECONDITION}
/// when the file is readable by group or others, or malformed.
KeyRing LoadOrCreateKeyFile(const std::string& path);
/// Parses keys given as base64 text (one per line, or comma separated).
KeyRing ParseKeys(std::string_view text);

}  // namespace dbaas::crypto

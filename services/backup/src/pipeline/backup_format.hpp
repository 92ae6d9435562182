#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "pipeline/compression.hpp"

/// The stored backup format (docs/backup-format.md): a header, then AES-256-GCM sealed frames.
namespace dbaas::backup::format {

inline constexpr std::string_view kMagic = "DBAASBK\n";
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kNoncePrefixSize = 4;
inline constexpr std::size_t kTagSize = 16;
/// Frame header: flags (1 byte) + ciphertext length (4 bytes, big-endian).
inline constexpr std::size_t kFrameHeaderSize = 5;
inline constexpr std::uint8_t kFinalFlag = 0x01;
/// Default plaintext bytes per frame (of the compressed stream).
inline constexpr std::uint32_t kDefaultChunkSize = 1024 * 1024;
/// The largest chunk size a reader accepts, so a corrupt header cannot make it allocate more.
inline constexpr std::uint32_t kMaxChunkSize = 16 * 1024 * 1024;

/// Everything before the first frame.
struct Header {
  Compression compression = Compression::kZstd;
  std::uint32_t chunk_size = kDefaultChunkSize;
  /// Id of the master key that wrapped the data key.
  std::string master_key_id;
  /// The data key sealed by the master key (crypto::WrapDataKey).
  std::string wrapped_data_key;
  /// kNoncePrefixSize random bytes; frame n's nonce is prefix || n (64-bit big-endian).
  std::string nonce_prefix;
};

/// The header's bytes.
std::string SerializeHeader(const Header& header);

/// Incremental header parsing: feed bytes until Parse() returns true.
/// Throws Error{FAILED_PRECONDITION} ("... is not a dbaas backup" / "... is corrupt: ...").
class HeaderParser {
 public:
  explicit HeaderParser(std::string object_name) : name_(std::move(object_name)) {}
  /// How many more bytes are needed at least (0 when done).
  std::size_t Needed() const;
  /// Appends bytes (never more than Needed()); true once the header is complete.
  bool Feed(std::string_view bytes);
  const Header& Result() const noexcept { return header_; }
  /// The exact header bytes, for the header hash.
  const std::string& Bytes() const noexcept { return bytes_; }

 private:
  std::string name_;
  std::string bytes_;
  Header header_;
  bool done_ = false;
};

/// The 12-byte GCM nonce of frame `index`.
std::string FrameNonce(std::string_view nonce_prefix, std::uint64_t index);
/// The additional authenticated data of a frame: SHA-256(header) || index (8 bytes BE) ||
/// final flag (1 byte).
std::string FrameAad(std::string_view header_hash, std::uint64_t index, bool final);

/// AES-256-GCM over one frame. Reuses one OpenSSL context; not thread-safe.
class FrameCipher {
 public:
  /// `key` is 32 raw bytes.
  FrameCipher(std::string_view key, std::string header_hash, std::string nonce_prefix);
  ~FrameCipher();
  FrameCipher(const FrameCipher&) = delete;
  FrameCipher& operator=(const FrameCipher&) = delete;

  /// Appends the frame (flags, length, ciphertext, tag) for `plaintext` to `out`.
  void Seal(std::uint64_t index, bool final, std::string_view plaintext, std::string& out);
  /// Decrypts `ciphertext_and_tag` of frame `index` into `out` (replacing its contents);
  /// false when authentication fails.
  bool Open(std::uint64_t index, bool final, std::string_view ciphertext_and_tag,
            std::string& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

void PutU32(std::string& out, std::uint32_t v);
std::uint32_t GetU32(std::string_view in);

}  // namespace dbaas::backup::format

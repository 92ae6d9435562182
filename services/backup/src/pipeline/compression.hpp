#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace dbaas::backup {

/// Compression of backup streams. The numeric values are stored in backup headers: never
/// renumber.
enum class Compression : std::uint8_t { kNone = 0, kZstd = 1, kGzip = 2, kLz4 = 3 };

/// "none", "zstd", "gzip", "lz4".
std::string_view CompressionName(Compression c) noexcept;
/// The compression for a name; nullopt for anything else.
std::optional<Compression> ParseCompression(std::string_view name) noexcept;
/// The compression stored as `value` in a header; nullopt when unknown.
std::optional<Compression> CompressionFromByte(std::uint8_t value) noexcept;

/// Receives output in pieces of at most 256 KiB; the view is valid only during the call.
using Emit = std::function<void(std::string_view)>;

/// A streaming transform (compressor or decompressor) with bounded internal buffers: its
/// memory does not grow with the stream, however large or however compressible.
class StreamTransform {
 public:
  virtual ~StreamTransform() = default;
  /// Feeds `input`; output produced so far goes to `emit`.
  virtual void Update(std::string_view input, const Emit& emit) = 0;
  /// Ends the stream, emitting what is left. A decompressor throws Error{INTERNAL} when the
  /// input ended inside a frame.
  virtual void Finish(const Emit& emit) = 0;
};

/// `level` 0 means the algorithm's default (zstd 3, gzip 6, lz4 fast).
std::unique_ptr<StreamTransform> MakeCompressor(Compression c, int level = 0);
/// Throws Error{INTERNAL} from Update/Finish on malformed compressed data.
std::unique_ptr<StreamTransform> MakeDecompressor(Compression c);

}  // namespace dbaas::backup

#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pipeline/byte_stream.hpp"
#include "pipeline/compression.hpp"

namespace dbaas::crypto {
class KeyRing;
}

namespace dbaas::backup {

class ObjectStore;

struct BackupOptions {
  Compression compression = Compression::kZstd;
  /// 0 = the algorithm's default level.
  int level = 0;
  /// Plaintext bytes (of the compressed stream) per encrypted frame.
  std::uint32_t chunk_size = 1024 * 1024;
  /// When set, source reads are limited to this many MB/s (10^6 bytes per second).
  std::optional<double> throttle_mb_per_s;
};

/// What a backup stored, for its metadata row.
struct BackupResult {
  /// Bytes read from the source.
  std::uint64_t original_bytes = 0;
  /// Bytes of the stored object.
  std::uint64_t stored_bytes = 0;
  /// SHA-256 (hex) of the stored object's bytes.
  std::string stored_sha256;
  /// SHA-256 (hex) of the source's bytes.
  std::string plaintext_sha256;
  /// The master key that wrapped this backup's data key.
  std::string master_key_id;
  Compression compression = Compression::kZstd;
};

/// Checksums a restore or verification must match (each optional).
struct ExpectedDigests {
  std::optional<std::string> stored_sha256;
  std::optional<std::string> plaintext_sha256;
};

/// Streams `source` -> compression -> AES-256-GCM frames under a fresh data key wrapped by the
/// ring's primary master key -> `store` under `key`, in constant memory (about two chunks plus
/// the compressor's state). Plaintext never touches the store or the disk. On any failure
/// (source error, storage full or unreachable) the partial object is removed and the error is
/// rethrown; nothing is left under `key`.
BackupResult WriteBackup(ByteSource& source, ObjectStore& store, const std::string& key,
                         const crypto::KeyRing& ring, const BackupOptions& options = {});

/// Streams the object `key` from `store` -> authenticate and decrypt each frame -> decompress ->
/// `sink`, in constant memory. Throws Error{FAILED_PRECONDITION} "backup <key> is corrupt: ..."
/// for any altered, reordered, truncated or appended byte, or a checksum that differs from
/// `expected`; and Error{FAILED_PRECONDITION} naming the master key id when the ring lacks the
/// key the backup was made with; Error{NOT_FOUND} when there is no such object. The sink may
/// have received part of the plaintext before an error: the caller discards it. `sink.Finish()`
/// runs only after everything checked out.
BackupResult ReadBackup(ObjectStore& store, const std::string& key, const crypto::KeyRing& ring,
                        ByteSink& sink, const ExpectedDigests& expected = {});

/// ReadBackup into nothing: proves the object authenticates, decompresses and matches
/// `expected`, without writing plaintext anywhere. Same errors as ReadBackup.
BackupResult VerifyBackup(ObjectStore& store, const std::string& key, const crypto::KeyRing& ring,
                          const ExpectedDigests& expected = {});

}  // namespace dbaas::backup

#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Where backup objects live: the filesystem (default) or S3-compatible object storage.
namespace dbaas::backup {

/// One stored object.
struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::chrono::system_clock::time_point modified;
};

/// How full a store is. `total_bytes`/`free_bytes` are set when the backend knows them (the
/// filesystem's, or a configured quota).
struct StoreCapacity {
  std::uint64_t used_bytes = 0;
  std::optional<std::uint64_t> total_bytes;
  std::optional<std::uint64_t> free_bytes;
};

/// A streaming upload. Nothing is visible under the key until Commit() returns; Abort() (or
/// destroying the writer without Commit) removes every partial byte. Not thread-safe.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  /// Appends bytes. Throws Error{RESOURCE_EXHAUSTED} when the store is full and
  /// Error{UNAVAILABLE} when it cannot be reached; the writer is then aborted.
  virtual void Write(std::string_view bytes) = 0;
  /// Makes the object visible under its key, atomically replacing an older one.
  virtual void Commit() = 0;
  /// Discards the upload; never throws. Idempotent.
  virtual void Abort() noexcept = 0;
  /// Bytes accepted by Write() so far.
  virtual std::uint64_t BytesWritten() const noexcept = 0;
};

/// A streaming download. Not thread-safe.
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  /// Reads up to `size` bytes into `buffer`; 0 at the end of the object.
  virtual std::size_t Read(char* buffer, std::size_t size) = 0;
  /// The object's size in bytes.
  virtual std::uint64_t Size() const noexcept = 0;
};

/// A flat namespace of objects named by keys such as "ins_123/bak_456.dbk". Keys are relative
/// slash-separated paths of [A-Za-z0-9._=+@,-] segments; no segment is empty, "." or "..", or
/// starts with "."; at most 512 bytes. Implementations are thread-safe.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  /// Starts an upload to `key`. Throws Error{INVALID_ARGUMENT} for a malformed key.
  virtual std::unique_ptr<ObjectWriter> OpenWriter(const std::string& key) = 0;
  /// Opens `key` for reading. Throws Error{NOT_FOUND} when there is no such object.
  virtual std::unique_ptr<ObjectReader> OpenReader(const std::string& key) = 0;
  /// The object's size and time, or nullopt when it does not exist.
  virtual std::optional<ObjectInfo> Stat(const std::string& key) = 0;
  /// Removes `key`; removing a missing object is not an error.
  virtual void Delete(const std::string& key) = 0;
  /// Every object whose key starts with `prefix`, ordered by key.
  virtual std::vector<ObjectInfo> List(const std::string& prefix) = 0;
  /// Used bytes and, where known, the backend's size and free space.
  virtual StoreCapacity Capacity() = 0;
  /// Where the store is, for messages: "filesystem /var/lib/dbaas/backups", "s3 http://.../b".
  virtual std::string Describe() const = 0;
};

/// Throws Error{INVALID_ARGUMENT} naming the problem when `key` is not a valid object key.
void ValidateObjectKey(std::string_view key);
/// Same for a List() prefix (may be empty and may end with '/').
void ValidateKeyPrefix(std::string_view prefix);

}  // namespace dbaas::backup

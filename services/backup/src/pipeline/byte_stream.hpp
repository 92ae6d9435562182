#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

/// Where pipeline bytes come from and go to: file descriptors (a child process's pipe) and files.
namespace dbaas::backup {

/// A pull source of bytes. Not thread-safe.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Reads up to `size` bytes into `buffer`, blocking until at least one is available;
  /// returns 0 only at the end. Throws Error{UNAVAILABLE} on a read error.
  virtual std::size_t Read(char* buffer, std::size_t size) = 0;
};

/// A push sink of bytes. Not thread-safe.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  /// Writes all of `bytes`. Throws Error on failure.
  virtual void Write(std::string_view bytes) = 0;
  /// Called once after the last Write of a successful run (flush, fsync).
  virtual void Finish() {}
};

/// Reads a file descriptor (e.g. the read end of a pipe from `pg_basebackup -D -`). Does not
/// close it unless `owned`.
class FdSource final : public ByteSource {
 public:
  explicit FdSource(int fd, bool owned = false) : fd_(fd), owned_(owned) {}
  ~FdSource() override;
  FdSource(const FdSource&) = delete;
  FdSource& operator=(const FdSource&) = delete;
  std::size_t Read(char* buffer, std::size_t size) override;
  /// Opens `path` for reading; throws Error{NOT_FOUND} when it does not exist.
  static FdSource OpenFile(const std::filesystem::path& path);
  FdSource(FdSource&& other) noexcept : fd_(other.fd_), owned_(other.owned_) {
    other.fd_ = -1;
    other.owned_ = false;
  }

 private:
  int fd_;
  bool owned_;
};

/// Writes to a file descriptor (e.g. the write end of a pipe into `pg_restore`). Does not close
/// it unless `owned`. `Finish()` fsyncs regular files.
class FdSink final : public ByteSink {
 public:
  explicit FdSink(int fd, bool owned = false) : fd_(fd), owned_(owned) {}
  ~FdSink() override;
  FdSink(const FdSink&) = delete;
  FdSink& operator=(const FdSink&) = delete;
  FdSink(FdSink&& other) noexcept : fd_(other.fd_), owned_(other.owned_) {
    other.fd_ = -1;
    other.owned_ = false;
  }
  void Write(std::string_view bytes) override;
  void Finish() override;
  /// Creates (or truncates) `path` with mode 0600.
  static FdSink CreateFile(const std::filesystem::path& path);

 private:
  int fd_;
  bool owned_;
};

/// Discards what it is given; for verification, which must not write plaintext anywhere.
class DiscardSink final : public ByteSink {
 public:
  void Write(std::string_view) override {}
};

/// Collects everything in memory; for small payloads and tests.
class StringSink final : public ByteSink {
 public:
  void Write(std::string_view bytes) override { data_.append(bytes); }
  const std::string& Data() const noexcept { return data_; }

 private:
  std::string data_;
};

/// Serves a string; for small payloads and tests.
class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  std::size_t Read(char* buffer, std::size_t size) override;

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

}  // namespace dbaas::backup

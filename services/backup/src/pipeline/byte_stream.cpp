#include "pipeline/byte_stream.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dbaas/common/error.hpp"

namespace dbaas::backup {

FdSource::~FdSource() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

std::size_t FdSource::Read(char* buffer, std::size_t size) {
  for (;;) {
    const auto n = ::read(fd_, buffer, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) {
      throw Error(ErrorCode::kUnavailable,
                  std::string("cannot read the backup source: ") + std::strerror(errno));
    }
  }
}

FdSource FdSource::OpenFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                "cannot open " + path.string() + ": " + std::strerror(err));
  }
  return FdSource(fd, true);
}

FdSink::~FdSink() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

void FdSink::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      throw Error(err == ENOSPC ? ErrorCode::kResourceExhausted : ErrorCode::kUnavailable,
                  std::string("cannot write the restore output: ") + std::strerror(err));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void FdSink::Finish() {
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && ::fsync(fd_) != 0) {
    throw Error(ErrorCode::kUnavailable,
                std::string("cannot flush the restore output: ") + std::strerror(errno));
  }
}

FdSink FdSink::CreateFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw Error(ErrorCode::kUnavailable,
                "cannot create " + path.string() + ": " + std::strerror(errno));
  }
  return FdSink(fd, true);
}

std::size_t StringSource::Read(char* buffer, std::size_t size) {
  const auto n = std::min(size, data_.size() - pos_);
  std::memcpy(buffer, data_.data() + pos_, n);
  pos_ += n;
  return n;
}

}  // namespace dbaas::backup

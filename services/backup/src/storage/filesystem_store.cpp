#include "storage/filesystem_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::backup {
namespace {

namespace fs = std::filesystem;
constexpr const char* kIncoming = ".incoming";

std::string Errno(int err) { return std::strerror(err); }

// ENOSPC and EDQUOT are "storage full"; anything else is an I/O failure of the store.
[[noreturn]] void ThrowIo(const std::string& what, int err) {
  if (err == ENOSPC || err == EDQUOT) {
    throw Error(ErrorCode::kResourceExhausted, what + ": backup storage is full (" + Errno(err) + ")",
                {}, {"free space in the backup storage or raise its quota"});
  }
  throw Error(ErrorCode::kUnavailable, what + ": " + Errno(err));
}

void MakeDirs(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  if (dir.has_parent_path() && dir.parent_path() != dir) MakeDirs(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    ThrowIo("cannot create directory " + dir.string(), errno);
  }
}

void FsyncDir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

class FileWriter final : public ObjectWriter {
 public:
  FileWriter(const FilesystemStore& store, fs::path final_path, fs::path temp_path,
             std::optional<std::uint64_t> quota)
      : store_(store), final_path_(std::move(final_path)), temp_path_(std::move(temp_path)),
        quota_(quota) {
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) ThrowIo("cannot create " + temp_path_.string(), errno);
    if (quota_) base_used_ = store_.UsedBytes();
  }
  ~FileWriter() override { Abort(); }

  void Write(std::string_view bytes) override {
    if (fd_ < 0) throw Error(ErrorCode::kFailedPrecondition, "write after commit or abort");
    if (quota_ && base_used_ + written_ + bytes.size() > *quota_) {
      Abort();
      throw Error(ErrorCode::kResourceExhausted,
                  "backup storage is full: writing " + final_path_.filename().string() +
                      " would exceed the quota of " + std::to_string(*quota_) + " bytes",
                  {}, {"delete old backups or raise the backup storage quota"});
    }
    while (!bytes.empty()) {
      const auto n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        Abort();
        ThrowIo("cannot write " + final_path_.string(), err);
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
      written_ += static_cast<std::uint64_t>(n);
    }
  }

  void Commit() override {
    if (fd_ < 0) throw Error(ErrorCode::kFailedPrecondition, "commit after abort");
    if (::fsync(fd_) != 0) {
      const int err = errno;
      Abort();
      ThrowIo("cannot flush " + final_path_.string(), err);
    }
    ::close(fd_);
    fd_ = -1;
    try {
      MakeDirs(final_path_.parent_path());
    } catch (...) {
      Abort();
      throw;
    }
    if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
      const int err = errno;
      Abort();
      ThrowIo("cannot move upload into place at " + final_path_.string(), err);
    }
    committed_ = true;
    FsyncDir(final_path_.parent_path());
  }

  void Abort() noexcept override {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (!committed_ && !removed_) {
      ::unlink(temp_path_.c_str());
      removed_ = true;
    }
  }

  std::uint64_t BytesWritten() const noexcept override { return written_; }

 private:
  const FilesystemStore& store_;
  fs::path final_path_;
  fs::path temp_path_;
  std::optional<std::uint64_t> quota_;
  std::uint64_t base_used_ = 0;
  std::uint64_t written_ = 0;
  int fd_ = -1;
  bool committed_ = false;
  bool removed_ = false;
};

class FileReader final : public ObjectReader {
 public:
  FileReader(int fd, std::uint64_t size, std::string name)
      : fd_(fd), size_(size), name_(std::move(name)) {}
  ~FileReader() override { ::close(fd_); }

  std::size_t Read(char* buffer, std::size_t size) override {
    for (;;) {
      const auto n = ::read(fd_, buffer, size);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) ThrowIo("cannot read " + name_, errno);
    }
  }
  std::uint64_t Size() const noexcept override { return size_; }

 private:
  int fd_;
  std::uint64_t size_;
  std::string name_;
};

ObjectInfo InfoFor(const fs::path& path, std::string key) {
  struct stat st {};
  ObjectInfo info;
  info.key = std::move(key);
  if (::stat(path.c_str(), &st) == 0) {
    info.size = static_cast<std::uint64_t>(st.st_size);
    info.modified = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
  }
  return info;
}

}  // namespace

FilesystemStore::FilesystemStore(FilesystemStoreConfig config) : config_(std::move(config)) {
  if (config_.root.empty()) {
    throw Error(ErrorCode::kFailedPrecondition, "the backup storage root directory is not set");
  }
  config_.root = fs::absolute(config_.root).lexically_normal();
  try {
    MakeDirs(config_.root);
    MakeDirs(config_.root / kIncoming);
  } catch (const Error& e) {
    throw Error(ErrorCode::kFailedPrecondition,
                "cannot use " + config_.root.string() + " as backup storage: " + e.what());
  }
  // Uploads interrupted by a crash are garbage: nothing refers to them.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(config_.root / kIncoming, ec)) {
    fs::remove(entry.path(), ec);
  }
}

std::unique_ptr<ObjectWriter> FilesystemStore::OpenWriter(const std::string& key) {
  ValidateObjectKey(key);
  auto temp = config_.root / kIncoming / (crypto::HexEncode(crypto::RandomBytes(12)) + ".part");
  return std::make_unique<FileWriter>(*this, config_.root / key, std::move(temp),
                                      config_.quota_bytes);
}

std::unique_ptr<ObjectReader> FilesystemStore::OpenReader(const std::string& key) {
  ValidateObjectKey(key);
  const auto path = config_.root / key;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      throw Error(ErrorCode::kNotFound, "backup object " + key + " not found in " + Describe());
    }
    ThrowIo("cannot open " + path.string(), errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(ErrorCode::kNotFound, "backup object " + key + " not found in " + Describe());
  }
  return std::make_unique<FileReader>(fd, static_cast<std::uint64_t>(st.st_size), key);
}

std::optional<ObjectInfo> FilesystemStore::Stat(const std::string& key) {
  ValidateObjectKey(key);
  const auto path = config_.root / key;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  return InfoFor(path, key);
}

void FilesystemStore::Delete(const std::string& key) {
  ValidateObjectKey(key);
  const auto path = config_.root / key;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
    ThrowIo("cannot delete " + path.string(), errno);
  }
  // Drop directories the delete emptied, up to the root.
  std::error_code ec;
  for (auto dir = path.parent_path(); dir != config_.root && dir.has_parent_path();
       dir = dir.parent_path()) {
    if (!fs::is_empty(dir, ec) || ec) break;
    fs::remove(dir, ec);
  }
}

std::vector<ObjectInfo> FilesystemStore::List(const std::string& prefix) {
  ValidateKeyPrefix(prefix);
  std::vector<ObjectInfo> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(config_.root, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const auto& path = it->path();
    if (it.depth() == 0 && path.filename() == kIncoming) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    auto key = path.lexically_relative(config_.root).generic_string();
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    out.push_back(InfoFor(path, std::move(key)));
  }
  if (ec) ThrowIo("cannot list " + config_.root.string(), ec.value());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return out;
}

std::uint64_t FilesystemStore::UsedBytes() const {
  std::uint64_t used = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(config_.root, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code ignored;
    if (it->is_regular_file(ignored)) used += it->file_size(ignored);
  }
  return used;
}

StoreCapacity FilesystemStore::Capacity() {
  StoreCapacity capacity;
  capacity.used_bytes = UsedBytes();
  struct statvfs vfs {};
  if (::statvfs(config_.root.c_str(), &vfs) == 0) {
    capacity.total_bytes = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize;
    capacity.free_bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  }
  if (config_.quota_bytes) {
    const auto quota_free =
        *config_.quota_bytes > capacity.used_bytes ? *config_.quota_bytes - capacity.used_bytes : 0;
    capacity.total_bytes = std::min(capacity.total_bytes.value_or(*config_.quota_bytes),
                                    *config_.quota_bytes);
    capacity.free_bytes = std::min(capacity.free_bytes.value_or(quota_free), quota_free);
  }
  return capacity;
}

std::string FilesystemStore::Describe() const { return "filesystem " + config_.root.string(); }

}  // namespace dbaas::backup

// Master-key file handling. This is the one piece of file I/O in libs/common: every service
// needs the same key loading at start-up, and it has no other dependency.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "dbaas/common/crypto.hpp"

namespace dbaas::crypto {

KeyRing ParseKeys(std::string_view text) {
  std::vector<Key> keys;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto end = text.find_first_of(",\n", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(pos, end - pos);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\r')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\r')) item.remove_suffix(1);
    if (!item.empty() && item.front() != '#') {
      std::string bytes;
      try {
        bytes = Base64Decode(item);
      } catch (const Error&) {
        throw Error(ErrorCode::kFailedPrecondition, "master key is not valid base64");
      }
      if (bytes.size() != kKeySize) {
        throw Error(ErrorCode::kFailedPrecondition,
                    "master key must be 32 bytes (44 base64 characters), got " +
                        std::to_string(bytes.size()) + " bytes");
      }
      keys.push_back(Key{KeyIdFor(bytes, "mk"), std::move(bytes)});
    }
    pos = end + 1;
  }
  if (keys.empty()) throw Error(ErrorCode::kFailedPrecondition, "no master key given");
  return KeyRing(std::move(keys));
}

KeyRing LoadOrCreateKeyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      throw Error(ErrorCode::kFailedPrecondition,
                  "cannot read master key file " + path + ": " + std::strerror(errno));
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) return LoadOrCreateKeyFile(path);  // another process won the race
      throw Error(ErrorCode::kFailedPrecondition,
                  "cannot create master key file " + path + ": " + std::strerror(errno));
    }
    const std::string line = Base64Encode(RandomBytes(kKeySize)) + "\n";
    const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                    ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
      ::unlink(path.c_str());
      throw Error(ErrorCode::kFailedPrecondition, "cannot write master key file " + path);
    }
    return ParseKeys(line);
  }
  if ((st.st_mode & 0077) != 0) {
    throw Error(ErrorCode::kFailedPrecondition,
                "master key file " + path + " is readable by group or others; run: chmod 600 " +
                    path);
  }
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseKeys(buffer.str());
}

}  // namespace dbaas::crypto

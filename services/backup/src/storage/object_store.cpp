#include "storage/object_store.hpp"

#include <string>

#include "dbaas/common/error.hpp"

namespace dbaas::backup {
namespace {

constexpr std::size_t kMaxKeyBytes = 512;

bool AllowedChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-' || c == '=' || c == '+' || c == '@' || c == ',';
}

// Empty when fine, else what is wrong.
std::string KeyProblem(std::string_view key, bool allow_trailing_slash) {
  if (key.size() > kMaxKeyBytes) return "is longer than 512 bytes";
  if (!key.empty() && key.front() == '/') return "is an absolute path; give a relative key";
  std::size_t start = 0;
  while (start <= key.size()) {
    const auto slash = key.find('/', start);
    const auto end = slash == std::string_view::npos ? key.size() : slash;
    const auto segment = key.substr(start, end - start);
    const bool last = slash == std::string_view::npos;
    if (segment.empty()) {
      if (!(last && (allow_trailing_slash || key.empty()))) return "has an empty path segment";
    } else if (segment == "." || segment == "..") {
      return "contains a '" + std::string(segment) + "' segment";
    } else if (segment.front() == '.') {
      return "has a segment starting with '.'";
    }
    for (char c : segment) {
      if (!AllowedChar(c)) return "contains a character outside [A-Za-z0-9._=+@,-/]";
    }
    if (last) break;
    start = end + 1;
  }
  return {};
}

}  // namespace

void ValidateObjectKey(std::string_view key) {
  auto problem = key.empty() ? std::string("is empty") : KeyProblem(key, false);
  if (!problem.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "object key '" + std::string(key) + "' " + problem,
                {{"key", problem}}, {"use a relative key such as ins_123/bak_456.dbk"});
  }
}

void ValidateKeyPrefix(std::string_view prefix) {
  if (prefix.empty()) return;
  auto problem = KeyProblem(prefix, true);
  if (!problem.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "object key prefix '" + std::string(prefix) + "' " + problem,
                {{"prefix", problem}});
  }
}

}  // namespace dbaas::backup

#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/common/error.hpp"
#include "dbaas/engines/admin.hpp"

namespace dbaas::engines::detail {

/// "A, B, C" with ALL spelled ALL PRIVILEGES.
inline std::string PrivilegeList(const std::vector<std::string>& privileges) {
  std::string out;
  for (const auto& p : privileges) {
    out += (out.empty() ? "" : ", ") + (p == "ALL" ? std::string("ALL PRIVILEGES") : p);
  }
  return out;
}

/// Throws INVALID_ARGUMENT unless `value` is empty or matches `pattern`.
inline void CheckOption(std::string_view field, const std::string& value, const char* pattern,
                        const char* expectation) {
  if (value.empty()) return;
  if (value.size() > 64 || !std::regex_match(value, std::regex(pattern))) {
    throw Error(ErrorCode::kInvalidArgument, "invalid " + std::string(field),
                {{std::string(field), expectation}});
  }
}


}  // namespace dbaas::engines::detail

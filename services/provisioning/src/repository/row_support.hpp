#pragma once

// Helpers shared by provisioning's repositories (this folder only).
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/store/store.hpp"

namespace dbaas::provisioning::detail {

/// `column` as RFC 3339 UTC with milliseconds, named `column`.
inline std::string Ts(std::string_view column) {
  return "to_char(" + std::string(column) +
         " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS " + std::string(column);
}

inline TimePoint Time(const store::Row& row, std::string_view column) {
  auto t = ParseRfc3339(row.Get(column));
  if (!t) throw Error(ErrorCode::kInternal, "stored timestamp is malformed");
  return *t;
}

/// A stored JSON object of strings as a map.
inline std::map<std::string, std::string> StringMap(const std::string& text) {
  std::map<std::string, std::string> out;
  const auto parsed = nlohmann::json::parse(text);  // items() must not outlive it
  for (const auto& [k, v] : parsed.items()) {
    out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

}  // namespace dbaas::provisioning::detail

#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/store/store.hpp"

/// Timestamp helpers shared by the repositories: timestamps leave the database in exactly the
/// RFC 3339 form the API uses.
namespace dbaas::access_control::pg {

/// `to_char(<column> AT TIME ZONE 'UTC', ...) AS <column>`; NULL stays NULL.
inline std::string Ts(std::string_view column) {
  return "to_char(" + std::string(column) +
         " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS " + std::string(column);
}

inline TimePoint ParseTime(const std::string& text) {
  auto t = ParseRfc3339(text);
  if (!t) throw Error(ErrorCode::kInternal, "stored timestamp is malformed");
  return *t;
}

inline std::optional<TimePoint> OptionalTime(const store::Row& row, std::string_view column) {
  const auto& value = row.Optional(column);
  if (!value) return std::nullopt;
  return ParseTime(*value);
}

inline store::Param TimeParam(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return FormatRfc3339(*t);
}

inline store::Param TextOrNull(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

}  // namespace dbaas::access_control::pg

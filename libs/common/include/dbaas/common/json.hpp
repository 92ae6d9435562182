#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/common/error.hpp"

namespace dbaas::json {

/// Parses a request body; throws Error{INVALID_ARGUMENT} naming the byte offset of the problem.
nlohmann::json Parse(std::string_view text);

/// Reads fields of a JSON object, collecting every problem; Finish() throws one
/// Error{INVALID_ARGUMENT} with a FieldViolation per problem, so a client sees all at once.
/// Field names in violations are prefixed with `path` ("spec.size").
class Reader {
 public:
  /// Records a violation when `value` is not an object.
  explicit Reader(const nlohmann::json& value, std::string path = {});

  std::optional<std::string> String(std::string_view field, bool required,
                                    std::size_t min_length = 0, std::size_t max_length = 1024);
  std::optional<std::int64_t> Int(std::string_view field, bool required, std::int64_t min,
                                  std::int64_t max);
  std::optional<bool> Bool(std::string_view field, bool required);
  /// The raw member when present (of any type); records a violation when required and missing.
  const nlohmann::json* Member(std::string_view field, bool required);
  /// Records a violation for every member not in `known`.
  void RejectUnknown(std::initializer_list<std::string_view> known);

  void Fail(std::string_view field, std::string issue);
  bool Ok() const noexcept { return violations_.empty(); }
  const std::vector<FieldViolation>& Violations() const noexcept { return violations_; }
  /// Throws when any violation was recorded.
  void Finish(std::string_view what = "request") const;

 private:
  std::string FieldPath(std::string_view field) const;
  const nlohmann::json& value_;
  std::string path_;
  std::vector<FieldViolation> violations_;
};

}  // namespace dbaas::json

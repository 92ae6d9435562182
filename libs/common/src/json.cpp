#include "dbaas/common/json.hpp"

#include <nlohmann/json.hpp>

namespace dbaas::json {

nlohmann::json Parse(std::string_view text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(ErrorCode::kInvalidArgument,
                "request body is not valid JSON (error at byte " + std::to_string(e.byte) + ")",
                {{"body", "malformed JSON near byte " + std::to_string(e.byte)}});
  }
}

Reader::Reader(const nlohmann::json& value, std::string path)
    : value_(value), path_(std::move(path)) {
  if (!value_.is_object()) {
    violations_.push_back({path_.empty() ? "body" : path_, "must be a JSON object"});
  }
}

std::string Reader::FieldPath(std::string_view field) const {
  return path_.empty() ? std::string(field) : path_ + "." + std::string(field);
}

void Reader::Fail(std::string_view field, std::string issue) {
  violations_.push_back({FieldPath(field), std::move(issue)});
}

const nlohmann::json* Reader::Member(std::string_view field, bool required) {
  if (!value_.is_object()) return nullptr;
  auto it = value_.find(field);
  if (it == value_.end() || it->is_null()) {
    if (required) Fail(field, "is required");
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> Reader::String(std::string_view field, bool required,
                                          std::size_t min_length, std::size_t max_length) {
  const auto* m = Member(field, required);
  if (m == nullptr) return std::nullopt;
  if (!m->is_string()) {
    Fail(field, "must be a string");
    return std::nullopt;
  }
  auto s = m->get<std::string>();
  if (s.size() < min_length) {
    Fail(field, min_length == 1 ? "must not be empty"
                                : "must be at least " + std::to_string(min_length) + " characters");
    return std::nullopt;
  }
  if (s.size() > max_length) {
    Fail(field, "must be at most " + std::to_string(max_length) + " characters");
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> Reader::Int(std::string_view field, bool required, std::int64_t min,
                                        std::int64_t max) {
  const auto* m = Member(field, required);
  if (m == nullptr) return std::nullopt;
  if (!m->is_number_integer()) {
    Fail(field, "must be an integer");
    return std::nullopt;
  }
  const bool negative = m->is_number_integer() && !m->is_number_unsigned() && m->get<std::int64_t>() < 0;
  if (!negative && m->is_number_unsigned() && m->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
    Fail(field, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  const auto v = m->get<std::int64_t>();
  if (v < min || v > max) {
    Fail(field, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Reader::Bool(std::string_view field, bool required) {
  const auto* m = Member(field, required);
  if (m == nullptr) return std::nullopt;
  if (!m->is_boolean()) {
    Fail(field, "must be true or false");
    return std::nullopt;
  }
  return m->get<bool>();
}

void Reader::RejectUnknown(std::initializer_list<std::string_view> known) {
  if (!value_.is_object()) return;
  for (auto it = value_.begin(); it != value_.end(); ++it) {
    bool ok = false;
    for (auto k : known) ok = ok || k == it.key();
    if (!ok) Fail(it.key(), "is not a known field");
  }
}

void Reader::Finish(std::string_view what) const {
  if (violations_.empty()) return;
  std::string message = "invalid " + std::string(what) + ": ";
  for (std::size_t i = 0; i < violations_.size(); ++i) {
    if (i > 0) message += "; ";
    message += violations_[i].field + " " + violations_[i].issue;
  }
  throw Error(ErrorCode::kInvalidArgument, message, violations_);
}

}  // namespace dbaas::json

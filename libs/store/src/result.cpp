#include <charconv>

#include "dbaas/common/error.hpp"
#include "dbaas/store/store.hpp"

namespace dbaas::store {

Row::Row(std::vector<std::string> names, std::vector<Param> values)
    : Row(std::make_shared<const std::vector<std::string>>(std::move(names)), std::move(values)) {}

Row::Row(std::shared_ptr<const std::vector<std::string>> names, std::vector<Param> values)
    : names_(std::move(names)), values_(std::move(values)) {
  if (!names_) names_ = std::make_shared<const std::vector<std::string>>();
}

std::size_t Row::Index(std::string_view name) const {
  for (std::size_t i = 0; i < names_->size(); ++i) {
    if ((*names_)[i] == name) return i;
  }
  throw Error(ErrorCode::kInternal, "result has no column \"" + std::string(name) + "\"");
}

bool Row::IsNull(std::size_t column) const {
  if (column >= values_.size()) {
    throw Error(ErrorCode::kInternal, "result has no column " + std::to_string(column));
  }
  return !values_[column].has_value();
}

const std::string& Row::Get(std::size_t column) const {
  if (IsNull(column)) {
    const std::string name = column < names_->size() ? (*names_)[column] : std::to_string(column);
    throw Error(ErrorCode::kInternal, "column \"" + name + "\" is NULL");
  }
  return *values_[column];
}

const std::string& Row::Get(std::string_view name) const { return Get(Index(name)); }

const Param& Row::Optional(std::string_view name) const { return values_.at(Index(name)); }

std::int64_t Row::GetInt(std::string_view name) const {
  const std::string& text = Get(name);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw Error(ErrorCode::kInternal, "column \"" + std::string(name) + "\" is not an integer");
  }
  return value;
}

bool Row::GetBool(std::string_view name) const {
  const std::string& text = Get(name);
  if (text == "t" || text == "true") return true;
  if (text == "f" || text == "false") return false;
  throw Error(ErrorCode::kInternal, "column \"" + std::string(name) + "\" is not a boolean");
}

}  // namespace dbaas::store

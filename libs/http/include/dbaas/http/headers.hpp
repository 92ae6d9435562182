#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbaas::http {

/// An ordered list of header fields with case-insensitive names.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  /// The first value of `name`, or nullopt.
  std::optional<std::string> Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  /// Replaces every field called `name` with one field.
  void Set(std::string name, std::string value);
  /// Appends a field, keeping existing ones of the same name.
  void Add(std::string name, std::string value);
  void Remove(std::string_view name);

  const std::vector<Field>& Fields() const noexcept { return fields_; }
  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }
  bool Empty() const noexcept { return fields_.empty(); }

 private:
  std::vector<Field> fields_;
};

/// ASCII case-insensitive equality of header names.
bool EqualsIgnoreCase(std::string_view a, std::string_view b) noexcept;

}  // namespace dbaas::http

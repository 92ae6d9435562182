#pragma once

#include <compare>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace dbaas {

/// Generates a new identifier "<prefix>_<26 lower-case Crockford base32 chars>": 48 bits of
/// milliseconds since the epoch then 80 random bits, so ids sort by creation time. Thread-safe.
std::string GenerateId(std::string_view prefix);

/// True when `text` is "<prefix>_" followed by 26 Crockford base32 characters.
bool IsValidId(std::string_view prefix, std::string_view text) noexcept;

/// An identifier of one kind of resource; the Tag names its prefix, so a TenantId can never be
/// passed where an InstanceId is expected. Tag must have `static constexpr std::string_view kPrefix`.
template <typename Tag>
class Id {
 public:
  /// A fresh id of this kind.
  static Id Generate() { return Id(GenerateId(Tag::kPrefix)); }
  /// nullopt when `text` is not an id of this kind.
  static std::optional<Id> Parse(std::string_view text) {
    if (!IsValidId(Tag::kPrefix, text)) return std::nullopt;
    return Id(std::string(text));
  }
  /// Wraps a value already known to be valid (read back from our own database).
  static Id FromTrusted(std::string value) { return Id(std::move(value)); }

  const std::string& str() const noexcept { return value_; }
  auto operator<=>(const Id&) const = default;

 private:
  explicit Id(std::string value) : value_(std::move(value)) {}
  std::string value_;
};

struct TenantTag { static constexpr std::string_view kPrefix = "ten"; };
struct UserTag { static constexpr std::string_view kPrefix = "usr"; };
struct InstanceTag { static constexpr std::string_view kPrefix = "ins"; };
struct OperationTag { static constexpr std::string_view kPrefix = "op"; };
struct EventTag { static constexpr std::string_view kPrefix = "evt"; };
struct RequestTag { static constexpr std::string_view kPrefix = "req"; };

using TenantId = Id<TenantTag>;
using UserId = Id<UserTag>;
using InstanceId = Id<InstanceTag>;
using OperationId = Id<OperationTag>;
using EventId = Id<EventTag>;

}  // namespace dbaas

template <typename Tag>
struct std::hash<dbaas::Id<Tag>> {
  std::size_t operator()(const dbaas::Id<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};

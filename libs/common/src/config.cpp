#include "dbaas/common/config.hpp"

#include <charconv>
#include <cstdlib>
#include <utility>

#include "dbaas/common/error.hpp"

namespace dbaas {
namespace {

std::optional<std::int64_t> ParseInt(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

// Splits "30s" into (30, "s").
std::optional<std::pair<std::int64_t, std::string_view>> SplitNumberUnit(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0) return std::nullopt;
  auto number = ParseInt(text.substr(0, i));
  if (!number) return std::nullopt;
  return std::make_pair(*number, text.substr(i));
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto parts = SplitNumberUnit(text);
  if (!parts) return std::nullopt;
  const auto [n, unit] = *parts;
  if (unit.empty() || unit == "s") return std::chrono::seconds(n);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "m") return std::chrono::minutes(n);
  if (unit == "h") return std::chrono::hours(n);
  return std::nullopt;
}

std::optional<std::int64_t> ParseBytes(std::string_view text) {
  auto parts = SplitNumberUnit(text);
  if (!parts) return std::nullopt;
  const auto [n, unit] = *parts;
  struct Unit {
    std::string_view name;
    std::int64_t factor;
  };
  constexpr Unit kUnits[] = {{"", 1},
                             {"B", 1},
                             {"KiB", 1LL << 10},
                             {"MiB", 1LL << 20},
                             {"GiB", 1LL << 30},
                             {"TiB", 1LL << 40},
                             {"KB", 1000LL},
                             {"MB", 1000LL * 1000},
                             {"GB", 1000LL * 1000 * 1000},
                             {"TB", 1000LL * 1000 * 1000 * 1000}};
  for (const auto& u : kUnits) {
    if (u.name == unit) {
      if (n > INT64_MAX / u.factor) return std::nullopt;
      return n * u.factor;
    }
  }
  return std::nullopt;
}

ConfigReader::ConfigReader()
    : ConfigReader([](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
      }) {}

ConfigReader::ConfigReader(Lookup lookup) : lookup_(std::move(lookup)) {}

std::optional<std::string> ConfigReader::Get(std::string_view name) const {
  auto value = lookup_(name);
  if (value && value->empty()) return std::nullopt;  // VAR= means "use the default"
  return value;
}

std::string ConfigReader::String(std::string_view name, std::string_view fallback) {
  return Get(name).value_or(std::string(fallback));
}

std::string ConfigReader::Required(std::string_view name) {
  auto value = Get(name);
  if (!value) {
    Fail(name, "is required but not set");
    return {};
  }
  return *value;
}

std::int64_t ConfigReader::Int(std::string_view name, std::int64_t fallback, std::int64_t min,
                               std::int64_t max) {
  auto raw = Get(name);
  if (!raw) return fallback;
  auto value = ParseInt(*raw);
  if (!value) {
    Fail(name, "must be an integer, got \"" + *raw + "\"");
    return fallback;
  }
  if (*value < min || *value > max) {
    Fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                   ", got " + *raw);
    return fallback;
  }
  return *value;
}

std::uint16_t ConfigReader::Port(std::string_view name, std::uint16_t fallback) {
  return static_cast<std::uint16_t>(Int(name, fallback, 0, 65535));
}

bool ConfigReader::Bool(std::string_view name, bool fallback) {
  auto raw = Get(name);
  if (!raw) return fallback;
  if (*raw == "1" || *raw == "true" || *raw == "yes" || *raw == "on") return true;
  if (*raw == "0" || *raw == "false" || *raw == "no" || *raw == "off") return false;
  Fail(name, "must be true or false, got \"" + *raw + "\"");
  return fallback;
}

std::chrono::milliseconds ConfigReader::Duration(std::string_view name,
                                                 std::chrono::milliseconds fallback,
                                                 std::chrono::milliseconds min) {
  auto raw = Get(name);
  if (!raw) return fallback;
  auto value = ParseDuration(*raw);
  if (!value) {
    Fail(name, "must be a duration like 500ms, 30s, 5m or 2h, got \"" + *raw + "\"");
    return fallback;
  }
  if (*value < min) {
    Fail(name, "must be at least " + std::to_string(min.count()) + "ms, got " + *raw);
    return fallback;
  }
  return *value;
}

std::int64_t ConfigReader::Bytes(std::string_view name, std::int64_t fallback, std::int64_t min) {
  auto raw = Get(name);
  if (!raw) return fallback;
  auto value = ParseBytes(*raw);
  if (!value) {
    Fail(name, "must be a size like 1048576, 64KiB or 8MiB, got \"" + *raw + "\"");
    return fallback;
  }
  if (*value < min) {
    Fail(name, "must be at least " + std::to_string(min) + " bytes, got " + *raw);
    return fallback;
  }
  return *value;
}

std::string ConfigReader::OneOf(std::string_view name, std::string_view fallback,
                                const std::vector<std::string_view>& allowed) {
  auto raw = Get(name);
  if (!raw) return std::string(fallback);
  for (auto a : allowed) {
    if (a == *raw) return *raw;
  }
  std::string list;
  for (auto a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
  }
  Fail(name, "must be one of " + list + ", got \"" + *raw + "\"");
  return std::string(fallback);
}

void ConfigReader::Fail(std::string_view name, std::string_view problem) {
  problems_.push_back(std::string(name) + " " + std::string(problem));
}

void ConfigReader::Finish() const {
  if (problems_.empty()) return;
  std::string message = "invalid configuration: ";
  for (std::size_t i = 0; i < problems_.size(); ++i) {
    if (i > 0) message += "; ";
    message += problems_[i];
  }
  throw Error(ErrorCode::kInvalidArgument, message);
}

}  // namespace dbaas

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbaas {

/// Reads `DBAAS_*` settings from the environment (or any lookup, for tests), validating each.
/// Problems are collected, not thrown one by one: call Finish() after reading everything and
/// it throws Error{INVALID_ARGUMENT} whose message names every bad variable, so a start-up
/// reports all configuration mistakes at once. Not thread-safe; use it during start-up.
class ConfigReader {
 public:
  using Lookup = std::function<std::optional<std::string>(std::string_view name)>;

  /// Reads the process environment.
  ConfigReader();
  explicit ConfigReader(Lookup lookup);

  std::string String(std::string_view name, std::string_view fallback);
  /// A value that must be set (no default); records a problem when it is missing or empty.
  std::string Required(std::string_view name);
  std::int64_t Int(std::string_view name, std::int64_t fallback, std::int64_t min,
                   std::int64_t max);
  std::uint16_t Port(std::string_view name, std::uint16_t fallback);
  bool Bool(std::string_view name, bool fallback);
  /// Durations like "250ms", "30s", "5m", "2h"; a bare number is seconds.
  std::chrono::milliseconds Duration(std::string_view name, std::chrono::milliseconds fallback,
                                     std::chrono::milliseconds min = std::chrono::milliseconds(0));
  /// Sizes like "1048576", "64KiB", "8MiB", "1GiB" in bytes.
  std::int64_t Bytes(std::string_view name, std::int64_t fallback, std::int64_t min = 0);
  /// One of `allowed`.
  std::string OneOf(std::string_view name, std::string_view fallback,
                    const std::vector<std::string_view>& allowed);

  /// Records a problem found by the caller's own validation.
  void Fail(std::string_view name, std::string_view problem);
  const std::vector<std::string>& Problems() const noexcept { return problems_; }
  /// Throws Error{INVALID_ARGUMENT, "invalid configuration: DBAAS_X: ...; DBAAS_Y: ..."}.
  void Finish() const;

 private:
  std::optional<std::string> Get(std::string_view name) const;
  Lookup lookup_;
  std::vector<std::string> problems_;
};

/// Parses "250ms", "30s", "5m", "2h" or a bare number of seconds; nullopt when malformed.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);
/// Parses "123", "64KiB", "8MiB", "1GiB", "2TiB" (also KB/MB/GB as powers of ten).
std::optional<std::int64_t> ParseBytes(std::string_view text);

}  // namespace dbaas

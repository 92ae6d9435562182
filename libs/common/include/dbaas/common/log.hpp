#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

/// Structured JSON-lines logging to stderr (spdlog underneath, so writes are thread-safe).
/// Each line: {"ts":"...","level":"info","service":"...","msg":"...", <fields>}.
/// Never pass secrets as fields, nor fields named ts, level, service or msg (they are always set).
namespace dbaas::log {

enum class Level { kDebug, kInfo, kWarn, kError, kOff };

/// One key/value of a log line; the value is kept as a ready JSON fragment.
class Field {
 public:
  Field(std::string_view key, std::string_view value);
  Field(std::string_view key, const char* value) : Field(key, std::string_view(value)) {}
  Field(std::string_view key, const std::string& value) : Field(key, std::string_view(value)) {}
  Field(std::string_view key, std::int64_t value);
  Field(std::string_view key, int value) : Field(key, static_cast<std::int64_t>(value)) {}
  Field(std::string_view key, double value);
  Field(std::string_view key, bool value);

  std::string_view Key() const noexcept { return key_; }
  const std::string& Json() const noexcept { return json_; }

 private:
  std::string_view key_;
  std::string json_;
};

/// Sets the service name and the minimum level. Call once at start-up; safe to call again.
void Init(std::string_view service, Level level);
/// "debug", "info", "warn", "error", "off"; nullopt-like kOff for unknown is not done: returns
/// false when `text` names no level.
bool ParseLevel(std::string_view text, Level& out) noexcept;
bool Enabled(Level level) noexcept;
void Write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kError, m, f); }

/// Appends `text` to `out` as a JSON string literal (with quotes and escapes).
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace dbaas::log

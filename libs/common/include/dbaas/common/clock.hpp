#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace dbaas {

using TimePoint = std::chrono::system_clock::time_point;

/// Source of wall-clock time; inject it so time-dependent rules can be tested. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

/// The real clock.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  /// A process-wide instance.
  static const SystemClock& Instance();
};

/// A clock that only moves when told to; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_(start.time_since_epoch().count()) {}
  TimePoint Now() const override { return TimePoint(TimePoint::duration(now_.load())); }
  void Advance(std::chrono::nanoseconds by) {
    now_ += std::chrono::duration_cast<TimePoint::duration>(by).count();
  }

 private:
  std::atomic<TimePoint::rep> now_;
};

/// RFC 3339 UTC with millisecond precision, e.g. "2026-11-24T20:28:00.123Z".
std::string FormatRfc3339(TimePoint t);
/// Parses RFC 3339 (`Z` or `+hh:mm` offsets, optional fraction); nullopt when malformed.
std::optional<TimePoint> ParseRfc3339(std::string_view text);

}  // namespace dbaas

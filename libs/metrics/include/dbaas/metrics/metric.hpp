#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace dbaas::metrics {

/// A monotonically increasing value. Lock-free and thread-safe.
class Counter {
 public:
  /// Adds `amount`, which must be non-negative; negative amounts are ignored so a counter
  /// never goes backwards.
  void Inc(double amount = 1.0) noexcept {
    if (amount >= 0.0) value_.fetch_add(amount, std::memory_order_relaxed);
  }
  double Value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

/// A value that goes up and down. Lock-free and thread-safe.
class Gauge {
 public:
  void Set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
  void Inc(double amount = 1.0) noexcept { value_.fetch_add(amount, std::memory_order_relaxed); }
  void Dec(double amount = 1.0) noexcept { value_.fetch_sub(amount, std::memory_order_relaxed); }
  double Value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

/// Counts observations into buckets with inclusive upper bounds (`le`), plus their sum.
/// Lock-free and thread-safe; the implicit last bucket is +Inf.
class Histogram {
 public:
  /// `bounds` must be strictly increasing and finite (the Registry validates this).
  explicit Histogram(std::vector<double> bounds);

  void Observe(double value) noexcept;

  struct Snapshot {
    std::vector<double> bounds;             // upper bounds, without +Inf
    std::vector<std::uint64_t> cumulative;  // bounds.size() + 1 entries; the last is +Inf
    double sum = 0.0;
    std::uint64_t Count() const noexcept { return cumulative.empty() ? 0 : cumulative.back(); }
  };
  /// Cumulative counts; `Count()` always equals the +Inf bucket, even under concurrent updates.
  Snapshot Collect() const;
  const std::vector<double>& Bounds() const noexcept { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<std::uint64_t>> counts_;  // per bucket, not cumulative; last is +Inf
  std::atomic<double> sum_{0.0};
};

/// Default latency buckets in seconds: 0.5 ms .. 10 s.
std::vector<double> DefaultLatencyBuckets();
/// `count` buckets starting at `start`, each `factor` times the previous one.
std::vector<double> ExponentialBuckets(double start, double factor, int count);

}  // namespace dbaas::metrics

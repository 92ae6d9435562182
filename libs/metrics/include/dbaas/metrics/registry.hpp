#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dbaas/metrics/metric.hpp"

namespace dbaas::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

/// The children of one metric name, one per distinct set of label values.
/// `WithLabels` takes a short lock; keep the returned reference (valid for the registry's
/// lifetime) on hot paths to avoid it. Thread-safe.
template <typename T>
class Family {
 public:
  /// The child for these label values, created on first use. Throws Error{INVALID_ARGUMENT}
  /// when the number of values differs from the number of label names.
  T& WithLabels(const std::vector<std::string>& values);
  /// The child of a family without labels.
  T& Get() { return WithLabels({}); }

  const std::string& Name() const noexcept { return name_; }
  const std::string& Help() const noexcept { return help_; }
  const std::vector<std::string>& LabelNames() const noexcept { return label_names_; }

  /// Every child with its label values, in creation order.
  std::vector<std::pair<std::vector<std::string>, const T*>> Children() const;

  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> buckets = {});

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::vector<double> buckets_;  // histograms only
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> index_;  // joined label values -> children_
  std::vector<std::pair<std::vector<std::string>, std::unique_ptr<T>>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

/// Keeps a scrape-time gauge registered; unregisters it when destroyed. Move-only.
class CallbackHandle {
 public:
  CallbackHandle() = default;
  CallbackHandle(CallbackHandle&&) noexcept = default;
  CallbackHandle& operator=(CallbackHandle&& other) noexcept;
  CallbackHandle(const CallbackHandle&) = delete;
  CallbackHandle& operator=(const CallbackHandle&) = delete;
  ~CallbackHandle();
  /// Unregisters now; later scrapes no longer call the callback.
  void Reset();

 private:
  friend class Registry;
  struct Slot;
  explicit CallbackHandle(std::shared_ptr<Slot> slot) : slot_(std::move(slot)) {}
  std::shared_ptr<Slot> slot_;
};

/// Holds metric families and renders them in the Prometheus text exposition format 0.0.4.
/// Registering a name again with the same type and label names returns the existing family;
/// a conflicting registration or an invalid name throws Error{INVALID_ARGUMENT}.
/// Families live as long as the registry. Thread-safe.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  CounterFamily& Counter(std::string name, std::string help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& Gauge(std::string name, std::string help,
                     std::vector<std::string> label_names = {});
  /// `buckets` are finite, strictly increasing upper bounds; +Inf is added implicitly.
  HistogramFamily& Histogram(std::string name, std::string help,
                             std::vector<std::string> label_names,
                             std::vector<double> buckets = DefaultLatencyBuckets());

  /// A gauge whose value `read` returns at scrape time (e.g. open pool connections).
  /// `read` runs on the scraping thread and must be thread-safe and quick. Several callbacks
  /// may share a name if their label values differ. The gauge exists while the handle lives.
  [[nodiscard]] CallbackHandle CallbackGauge(std::string name, std::string help,
                                             std::vector<std::string> label_names,
                                             std::vector<std::string> label_values,
                                             std::function<double()> read);
  [[nodiscard]] CallbackHandle CallbackGauge(std::string name, std::string help,
                                             std::function<double()> read) {
    return CallbackGauge(std::move(name), std::move(help), {}, {}, std::move(read));
  }

  /// The whole registry in text format 0.0.4, families sorted by name.
  std::string Expose() const;

 private:
  struct Entry;
  Entry& Register(std::string name, std::string help, MetricType type,
                  std::vector<std::string> label_names, std::vector<double> buckets);
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_;
};

/// Content-Type of Registry::Expose() output.
inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

/// Escapes a label value for the text format: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);
/// Escapes HELP text for the text format: backslash and newline.
std::string EscapeHelp(std::string_view help);
/// A sample value as the text format writes it: shortest round-trip form, "+Inf", "-Inf", "NaN".
std::string FormatValue(double value);

}  // namespace dbaas::metrics

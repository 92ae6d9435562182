#include "dbaas/metrics/registry.hpp"

#include <charconv>
#include <cmath>
#include <variant>

#include "dbaas/common/error.hpp"

namespace dbaas::metrics {
namespace {

bool IsMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool IsLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

// Label values joined with a byte that cannot start a UTF-8 sequence, as a map key.
std::string JoinKey(const std::vector<std::string>& values) {
  std::string key;
  for (const auto& v : values) {
    key += v;
    key += '\xff';
  }
  return key;
}

void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void AppendSample(std::string& out, std::string_view name, std::string_view suffix,
                  const std::vector<std::string>& label_names,
                  const std::vector<std::string>& values, double value,
                  std::string_view extra_name = {}, std::string_view extra_value = {}) {
  out += name;
  out += suffix;
  AppendLabels(out, label_names, values, extra_name, extra_value);
  out += ' ';
  out += FormatValue(value);
  out += '\n';
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

template <typename T>
Family<T>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      buckets_(std::move(buckets)) {}

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                "metric " + name_ + " takes " + std::to_string(label_names_.size()) +
                    " label values, got " + std::to_string(values.size()));
  }
  auto key = JoinKey(values);
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) return *children_[it->second].second;
  std::unique_ptr<T> child;
  if constexpr (std::is_same_v<T, metrics::Histogram>) {
    child = std::make_unique<T>(buckets_);
  } else {
    child = std::make_unique<T>();
  }
  auto& ref = *child;
  index_.emplace(std::move(key), children_.size());
  children_.emplace_back(values, std::move(child));
  return ref;
}

template <typename T>
std::vector<std::pair<std::vector<std::string>, const T*>> Family<T>::Children() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::vector<std::string>, const T*>> out;
  out.reserve(children_.size());
  for (const auto& [values, child] : children_) out.emplace_back(values, child.get());
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct CallbackHandle::Slot {
  std::mutex mutex;
  std::vector<std::string> label_values;
  std::function<double()> read;  // empty once unregistered
};

CallbackHandle& CallbackHandle::operator=(CallbackHandle&& other) noexcept {
  if (this != &other) {
    Reset();
    slot_ = std::move(other.slot_);
  }
  return *this;
}

CallbackHandle::~CallbackHandle() { Reset(); }

void CallbackHandle::Reset() {
  if (!slot_) return;
  {
    std::lock_guard lock(slot_->mutex);
    slot_->read = nullptr;
  }
  slot_.reset();
}

struct Registry::Entry {
  MetricType type;
  std::string help;
  std::vector<std::string> label_names;
  std::vector<double> buckets;
  std::variant<std::monostate, std::unique_ptr<CounterFamily>, std::unique_ptr<GaugeFamily>,
               std::unique_ptr<HistogramFamily>>
      family;
  std::vector<std::shared_ptr<CallbackHandle::Slot>> callbacks;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Entry& Registry::Register(std::string name, std::string help, MetricType type,
                                    std::vector<std::string> label_names,
                                    std::vector<double> buckets) {
  if (!IsMetricName(name)) {
    throw Error(ErrorCode::kInvalidArgument, "invalid metric name \"" + name + "\"");
  }
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    const auto& label = label_names[i];
    if (!IsLabelName(label) || (type == MetricType::kHistogram && label == "le")) {
      throw Error(ErrorCode::kInvalidArgument,
                  "invalid label name \"" + label + "\" for metric " + name);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (label_names[j] == label) {
        throw Error(ErrorCode::kInvalidArgument,
                    "duplicate label name \"" + label + "\" for metric " + name);
      }
    }
  }
  if (type == MetricType::kHistogram) {
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      if (!std::isfinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1])) {
        throw Error(ErrorCode::kInvalidArgument,
                    "histogram " + name + " buckets must be finite and strictly increasing");
      }
    }
  }
  auto it = entries_.find(name);
  if (it != entries_.end()) {
    auto& entry = *it->second;
    if (entry.type != type || entry.label_names != label_names ||
        (type == MetricType::kHistogram && entry.buckets != buckets)) {
      throw Error(ErrorCode::kInvalidArgument,
                  "metric " + name + " is already registered with another type or labels");
    }
    return entry;
  }
  auto entry = std::make_unique<Entry>();
  entry->type = type;
  entry->help = std::move(help);
  entry->label_names = std::move(label_names);
  entry->buckets = std::move(buckets);
  auto& ref = *entry;
  entries_.emplace(std::move(name), std::move(entry));
  return ref;
}

CounterFamily& Registry::Counter(std::string name, std::string help,
                                 std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  auto& entry = Register(name, std::move(help), MetricType::kCounter, label_names, {});
  if (std::holds_alternative<std::monostate>(entry.family)) {
    entry.family = std::make_unique<CounterFamily>(std::move(name), entry.help, label_names);
    if (label_names.empty()) std::get<std::unique_ptr<CounterFamily>>(entry.family)->Get();
  }
  return *std::get<std::unique_ptr<CounterFamily>>(entry.family);
}

GaugeFamily& Registry::Gauge(std::string name, std::string help,
                             std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  auto& entry = Register(name, std::move(help), MetricType::kGauge, label_names, {});
  if (std::holds_alternative<std::monostate>(entry.family)) {
    entry.family = std::make_unique<GaugeFamily>(std::move(name), entry.help, label_names);
    if (label_names.empty()) std::get<std::unique_ptr<GaugeFamily>>(entry.family)->Get();
  }
  return *std::get<std::unique_ptr<GaugeFamily>>(entry.family);
}

HistogramFamily& Registry::Histogram(std::string name, std::string help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> buckets) {
  std::lock_guard lock(mutex_);
  auto& entry = Register(name, std::move(help), MetricType::kHistogram, label_names, buckets);
  if (std::holds_alternative<std::monostate>(entry.family)) {
    entry.family = std::make_unique<HistogramFamily>(std::move(name), entry.help, label_names,
                                                     std::move(buckets));
    if (label_names.empty()) std::get<std::unique_ptr<HistogramFamily>>(entry.family)->Get();
  }
  return *std::get<std::unique_ptr<HistogramFamily>>(entry.family);
}

CallbackHandle Registry::CallbackGauge(std::string name, std::string help,
                                       std::vector<std::string> label_names,
                                       std::vector<std::string> label_values,
                                       std::function<double()> read) {
  if (label_values.size() != label_names.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                "metric " + name + " takes " + std::to_string(label_names.size()) +
                    " label values, got " + std::to_string(label_values.size()));
  }
  std::lock_guard lock(mutex_);
  auto& entry = Register(std::move(name), std::move(help), MetricType::kGauge,
                         std::move(label_names), {});
  std::erase_if(entry.callbacks, [](const auto& old) {
    std::lock_guard slot_lock(old->mutex);
    return !old->read;
  });
  auto slot = std::make_shared<CallbackHandle::Slot>();
  slot->label_values = std::move(label_values);
  slot->read = std::move(read);
  entry.callbacks.push_back(slot);
  return CallbackHandle(std::move(slot));
}

std::string Registry::Expose() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, entry] : entries_) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += EscapeHelp(entry->help);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += TypeName(entry->type);
    out += '\n';
    const auto& labels = entry->label_names;
    if (const auto* counters = std::get_if<std::unique_ptr<CounterFamily>>(&entry->family)) {
      for (const auto& [values, child] : (*counters)->Children()) {
        AppendSample(out, name, "", labels, values, child->Value());
      }
    } else if (const auto* gauges = std::get_if<std::unique_ptr<GaugeFamily>>(&entry->family)) {
      for (const auto& [values, child] : (*gauges)->Children()) {
        AppendSample(out, name, "", labels, values, child->Value());
      }
    } else if (const auto* histograms =
                   std::get_if<std::unique_ptr<HistogramFamily>>(&entry->family)) {
      for (const auto& [values, child] : (*histograms)->Children()) {
        const auto snapshot = child->Collect();
        for (std::size_t i = 0; i < snapshot.cumulative.size(); ++i) {
          const auto le = i < snapshot.bounds.size() ? FormatValue(snapshot.bounds[i])
                                                     : std::string("+Inf");
          AppendSample(out, name, "_bucket", labels, values,
                       static_cast<double>(snapshot.cumulative[i]), "le", le);
        }
        AppendSample(out, name, "_sum", labels, values, snapshot.sum);
        AppendSample(out, name, "_count", labels, values,
                     static_cast<double>(snapshot.Count()));
      }
    }
    for (const auto& slot : entry->callbacks) {
      std::lock_guard slot_lock(slot->mutex);
      if (!slot->read) continue;
      AppendSample(out, name, "", labels, slot->label_values, slot->read());
    }
  }
  return out;
}

}  // namespace dbaas::metrics

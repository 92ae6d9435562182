#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "dbaas/events/event.hpp"
#include "storage/object_store.hpp"

namespace dbaas::backup {

/// How full a store is, in percent: (total - free) / total, which for a filesystem store counts
/// everything on its filesystem (or its quota); nullopt when the backend does not say (an S3
/// bucket without a configured quota).
std::optional<double> UsedPercent(const StoreCapacity& capacity);

/// Watches the backup store's capacity: raises dbaas.backup.storage.capacity-exceeded when its
/// use passes `threshold_percent` and capacity-recovered when it falls back below, once per
/// crossing. The last reading is kept for the metrics. Thread-safe for one Check at a time.
class CapacityMonitor {
 public:
  using Publish = std::function<void(const events::Event&)>;
  CapacityMonitor(ObjectStore& store, double threshold_percent, Publish publish);

  /// Reads the capacity and publishes an event on a crossing; returns the reading.
  StoreCapacity Check();
  std::optional<StoreCapacity> Last() const;

 private:
  ObjectStore& store_;
  double threshold_;
  Publish publish_;
  bool over_ = false;
  mutable std::mutex mutex_;
  std::optional<StoreCapacity> last_;
};

}  // namespace dbaas::backup

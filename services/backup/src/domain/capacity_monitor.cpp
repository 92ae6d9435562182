#include "domain/capacity_monitor.hpp"

#include "dbaas/common/log.hpp"
#include "dbaas/events/v1/backup.pb.h"

namespace dbaas::backup {

std::optional<double> UsedPercent(const StoreCapacity& capacity) {
  if (!capacity.total_bytes || !capacity.free_bytes || *capacity.total_bytes == 0) {
    return std::nullopt;
  }
  const auto total = static_cast<double>(*capacity.total_bytes);
  const auto free = static_cast<double>(std::min(*capacity.free_bytes, *capacity.total_bytes));
  return (total - free) / total * 100.0;
}

CapacityMonitor::CapacityMonitor(ObjectStore& store, double threshold_percent, Publish publish)
    : store_(store), threshold_(threshold_percent), publish_(std::move(publish)) {}

StoreCapacity CapacityMonitor::Check() {
  const auto capacity = store_.Capacity();
  {
    std::lock_guard lock(mutex_);
    last_ = capacity;
  }
  const auto percent = UsedPercent(capacity);
  if (!percent) return capacity;
  const bool over = *percent >= threshold_;
  if (over == over_) return capacity;
  over_ = over;
  events::v1::BackupStorageEvent msg;
  msg.set_store(store_.Describe());
  msg.set_used_bytes(capacity.used_bytes);
  msg.set_total_bytes(capacity.total_bytes.value_or(0));
  msg.set_free_bytes(capacity.free_bytes.value_or(0));
  msg.set_used_percent(*percent);
  msg.set_threshold_percent(threshold_);
  const std::string verb = over ? "capacity-exceeded" : "capacity-recovered";
  if (over) {
    log::Warn("backup storage " + verb, {{"store", store_.Describe()},
                                         {"used_percent", std::to_string(*percent)},
                                         {"threshold_percent", std::to_string(threshold_)}});
  } else {
    log::Info("backup storage " + verb, {{"store", store_.Describe()},
                                         {"used_percent", std::to_string(*percent)}});
  }
  publish_(events::MakeEvent("dbaas.backup.storage." + verb, "backup", "", msg));
  return capacity;
}

std::optional<StoreCapacity> CapacityMonitor::Last() const {
  std::lock_guard lock(mutex_);
  return last_;
}

}  // namespace dbaas::backup

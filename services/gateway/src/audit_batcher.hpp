#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include "dbaas/events/audit.hpp"
#include "dbaas/events/background_publisher.hpp"

namespace dbaas::gateway {

/// Gathers the audit records of answered calls into batch events (one JetStream message per
/// up to `max_batch` records, or per `max_delay`, whichever comes first), so a busy gateway
/// does not pay a publish per call. Thread-safe; Add never blocks on NATS.
class AuditBatcher {
 public:
  /// `publisher` must outlive the batcher.
  AuditBatcher(events::BackgroundPublisher& publisher, std::size_t max_batch,
               std::chrono::milliseconds max_delay);
  ~AuditBatcher();
  AuditBatcher(const AuditBatcher&) = delete;
  AuditBatcher& operator=(const AuditBatcher&) = delete;

  void Add(events::AuditRecord record);
  /// Starts the timer that sends partial batches after max_delay.
  void Start();
  /// Sends what is gathered and stops the timer.
  void Stop();

 private:
  void Send(std::vector<events::AuditRecord> records);

  events::BackgroundPublisher& publisher_;
  std::size_t max_batch_;
  std::chrono::milliseconds max_delay_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<events::AuditRecord> pending_;
  bool running_ = false;
  std::thread timer_;
};

}  // namespace dbaas::gateway

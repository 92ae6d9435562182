#include "audit_batcher.hpp"

#include "dbaas/common/log.hpp"

namespace dbaas::gateway {

AuditBatcher::AuditBatcher(events::BackgroundPublisher& publisher, std::size_t max_batch,
                           std::chrono::milliseconds max_delay)
    : publisher_(publisher), max_batch_(std::max<std::size_t>(1, max_batch)),
      max_delay_(max_delay) {}

AuditBatcher::~AuditBatcher() {
  Stop();
}

void AuditBatcher::Add(events::AuditRecord record) {
  std::vector<events::AuditRecord> full;
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(record));
    if (pending_.size() < max_batch_) return;
    full.swap(pending_);
  }
  Send(std::move(full));
}

void AuditBatcher::Send(std::vector<events::AuditRecord> records) {
  if (records.empty()) return;
  try {
    if (!publisher_.Offer(events::MakeAuditBatchEvent(records))) {
      log::Error("audit records dropped: the audit queue is full",
                 {{"records", static_cast<std::int64_t>(records.size())}});
    }
  } catch (const std::exception& e) {
    log::Error("audit records dropped",
               {{"records", static_cast<std::int64_t>(records.size())}, {"error", e.what()}});
  }
}

void AuditBatcher::Start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  running_ = true;
  timer_ = std::thread([this] {
    std::unique_lock held(mutex_);
    while (running_) {
      wake_.wait_for(held, max_delay_, [this] { return !running_; });
      std::vector<events::AuditRecord> due;
      due.swap(pending_);
      held.unlock();
      Send(std::move(due));
      held.lock();
    }
  });
}

void AuditBatcher::Stop() {
  {
    std::lock_guard lock(mutex_);
    running_ = false;
  }
  wake_.notify_all();
  if (timer_.joinable()) timer_.join();
  std::vector<events::AuditRecord> rest;
  {
    std::lock_guard lock(mutex_);
    rest.swap(pending_);
  }
  Send(std::move(rest));
}

}  // namespace dbaas::gateway

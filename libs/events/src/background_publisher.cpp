#include "dbaas/events/background_publisher.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "dbaas/common/log.hpp"

namespace dbaas::events {

struct BackgroundPublisher::Impl {
  JetStream& jetstream;
  BackgroundPublisherConfig config;

  mutable std::mutex mutex;
  std::condition_variable wake;
  std::deque<Event> queue;
  /// Taken off the queue and being sent (counted in Pending).
  std::size_t in_flight = 0;
  bool running = false;
  bool accepting = true;
  std::chrono::steady_clock::time_point drain_deadline{};
  std::thread thread;

  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> dropped{0};

  Impl(JetStream& js, BackgroundPublisherConfig c) : jetstream(js), config(c) {
    config.batch = std::max<std::size_t>(1, config.batch);
    config.capacity = std::max<std::size_t>(1, config.capacity);
  }

  void Loop();
};

void BackgroundPublisher::Impl::Loop() {
  auto backoff = config.retry_min;
  bool failing = false;
  std::vector<Event> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex);
      wake.wait(lock, [&] { return !batch.empty() || !queue.empty() || !running; });
      if (!running && ((queue.empty() && batch.empty()) ||
                       std::chrono::steady_clock::now() >= drain_deadline)) {
        dropped += batch.size();  // what is still queued is counted by Stop()
        in_flight = 0;
        return;
      }
      if (batch.empty()) {
        const std::size_t n = std::min(config.batch, queue.size());
        batch.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(queue.front()));
          queue.pop_front();
        }
        in_flight = n;
      }
    }
    try {
      jetstream.PublishBatch(batch);
      published += batch.size();
      if (failing) log::Info("background publishing works again");
      failing = false;
      backoff = config.retry_min;
      std::lock_guard lock(mutex);
      in_flight = 0;
      batch.clear();
    } catch (const std::exception& e) {
      if (!failing) {
        log::Warn("background publishing failed; retrying",
                  {{"events", static_cast<std::int64_t>(batch.size())}, {"error", e.what()}});
      }
      failing = true;
      std::unique_lock lock(mutex);
      const bool was_running = running;
      auto until = std::chrono::steady_clock::now() + backoff;
      if (!was_running) until = std::min(until, drain_deadline);
      // Wakes early only when Stop() arrives, so the drain deadline is honoured.
      wake.wait_until(lock, until, [&] { return running != was_running; });
      backoff = std::min(backoff * 2, config.retry_max);
    }
  }
}

BackgroundPublisher::BackgroundPublisher(JetStream& jetstream, BackgroundPublisherConfig config)
    : impl_(std::make_unique<Impl>(jetstream, config)) {}

BackgroundPublisher::~BackgroundPublisher() {
  Stop();
}

bool BackgroundPublisher::Offer(Event e) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->accepting && impl_->queue.size() + impl_->in_flight < impl_->config.capacity) {
      impl_->queue.push_back(std::move(e));
      impl_->wake.notify_one();
      return true;
    }
  }
  impl_->dropped += 1;
  return false;
}

void BackgroundPublisher::Start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->running || impl_->thread.joinable()) return;
  impl_->running = true;
  impl_->accepting = true;
  impl_->thread = std::thread([this] { impl_->Loop(); });
}

void BackgroundPublisher::Stop(std::chrono::milliseconds drain) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->accepting = false;
    impl_->running = false;
    impl_->drain_deadline = std::chrono::steady_clock::now() + drain;
    impl_->wake.notify_all();
  }
  if (impl_->thread.joinable()) impl_->thread.join();
  std::lock_guard lock(impl_->mutex);
  if (!impl_->queue.empty()) {
    impl_->dropped += impl_->queue.size();
    log::Warn("background publisher stopped with events unsent",
              {{"events", static_cast<std::int64_t>(impl_->queue.size())}});
    impl_->queue.clear();
  }
}

std::size_t BackgroundPublisher::Pending() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->queue.size() + impl_->in_flight;
}

std::uint64_t BackgroundPublisher::Published() const {
  return impl_->published.load();
}

std::uint64_t BackgroundPublisher::Dropped() const {
  return impl_->dropped.load();
}

}  // namespace dbaas::events

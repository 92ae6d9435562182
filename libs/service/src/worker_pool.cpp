#include "dbaas/service/worker_pool.hpp"

#include <algorithm>
#include <exception>

#include "dbaas/common/log.hpp"

namespace dbaas::service {

WorkerPool::WorkerPool(std::string name, int workers, std::chrono::milliseconds poll,
                       std::function<bool()> run_once)
    : name_(std::move(name)),
      workers_(std::max(1, workers)),
      poll_(poll),
      run_once_(std::move(run_once)) {}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  running_ = true;
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { Loop(); });
}

void WorkerPool::Stop() {
  {
    std::lock_guard lock(mutex_);
    running_ = false;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WorkerPool::Wake() {
  {
    std::lock_guard lock(mutex_);
    ++wakeups_;
  }
  wake_.notify_one();
}

void WorkerPool::Loop() {
  for (;;) {
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(mutex_);
      if (!running_) return;
      seen = wakeups_;
    }
    bool worked = false;
    try {
      worked = run_once_();
    } catch (const std::exception& e) {
      log::Warn(name_ + " could not claim work", {{"error", e.what()}});
    }
    if (!worked) {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, poll_, [&] { return !running_ || wakeups_ != seen; });
    }
  }
}

LeaseKeeper::LeaseKeeper(std::function<void()> renew, std::chrono::milliseconds every)
    : thread_([this, renew = std::move(renew), every] {
        std::unique_lock lock(mutex_);
        while (!done_) {
          if (wake_.wait_for(lock, every, [this] { return done_; })) break;
          lock.unlock();
          try {
            renew();
          } catch (const std::exception& e) {
            log::Warn("could not renew an operation's lease", {{"error", e.what()}});
          }
          lock.lock();
        }
      }) {}

LeaseKeeper::~LeaseKeeper() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

}  // namespace dbaas::service

#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dbaas::service {

/// Worker threads that each call `run_once` again and again: at once while it finds work
/// (returns true), otherwise after `poll` or as soon as Wake() says work was queued. What the
/// operation runners of the services share (leased operations in their own tables).
/// Exceptions from `run_once` are logged with `name` and the worker goes on. Thread-safe.
class WorkerPool {
 public:
  WorkerPool(std::string name, int workers, std::chrono::milliseconds poll,
             std::function<bool()> run_once);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Start();
  /// Lets each worker finish its current run_once, then joins.
  void Stop();
  /// Tells an idle worker that work was just queued.
  void Wake();

 private:
  void Loop();

  std::string name_;
  int workers_;
  std::chrono::milliseconds poll_;
  std::function<bool()> run_once_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool running_ = false;
  std::uint64_t wakeups_ = 0;  // bumped by Wake; an idle worker that sees it change looks again
  std::vector<std::thread> threads_;
};

/// Calls `renew` every `every` on a thread of its own while it lives (an operation's lease while
/// the operation runs); a failed renewal is logged and tried again at the next tick.
class LeaseKeeper {
 public:
  LeaseKeeper(std::function<void()> renew, std::chrono::milliseconds every);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace dbaas::service

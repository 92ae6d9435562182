#include "dbaas/service/periodic_worker.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "dbaas/common/log.hpp"

namespace dbaas::service {
namespace {

struct Loop {
  std::string name;
  std::chrono::milliseconds interval;
  std::function<void()> task;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread thread;

  void RunTask() {
    try {
      task();
    } catch (const std::exception& e) {
      log::Error("periodic worker failed; retrying at the next interval",
                 {{"worker", name}, {"error", e.what()}});
    }
  }

  void Start() {
    thread = std::thread([this] {
      std::unique_lock lock(mutex);
      while (!stopping) {
        lock.unlock();
        RunTask();
        lock.lock();
        wake.wait_for(lock, interval, [this] { return stopping; });
      }
    });
  }

  void Stop() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    if (thread.joinable()) thread.join();
  }
};

}  // namespace

Worker PeriodicWorker(std::string name, std::chrono::milliseconds interval,
                      std::function<void()> task) {
  auto loop = std::make_shared<Loop>();
  loop->name = name;
  loop->interval = interval;
  loop->task = std::move(task);
  return Worker{std::move(name), [loop] { loop->Start(); }, [loop] { loop->Stop(); }};
}

}  // namespace dbaas::service

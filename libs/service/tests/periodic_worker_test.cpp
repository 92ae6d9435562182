#include "dbaas/service/periodic_worker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace dbaas::service {
namespace {

using namespace std::chrono_literals;

TEST(PeriodicWorker, RunsAtStartAndRepeatsUntilStopped) {
  std::atomic<int> runs{0};
  Worker worker = PeriodicWorker("count", 10ms, [&] { ++runs; });
  worker.start();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (runs < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  worker.stop();
  EXPECT_GE(runs.load(), 3);
  const int after_stop = runs.load();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(runs.load(), after_stop) << "the task ran after Stop";
}

TEST(PeriodicWorker, KeepsRunningAfterTheTaskThrows) {
  std::atomic<int> runs{0};
  Worker worker = PeriodicWorker("flaky", 10ms, [&] {
    if (++runs == 1) throw std::runtime_error("database unavailable");
  });
  worker.start();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (runs < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  worker.stop();
  EXPECT_GE(runs.load(), 2);
}

TEST(PeriodicWorker, StopWakesALongWaitAtOnce) {
  std::atomic<int> runs{0};
  Worker worker = PeriodicWorker("hourly", std::chrono::hours(1), [&] { ++runs; });
  worker.start();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (runs < 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  const auto before = std::chrono::steady_clock::now();
  worker.stop();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s) << "Stop waited for the interval";
}

}  // namespace
}  // namespace dbaas::service

#include "dbaas/service/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace dbaas::service {
namespace {

using namespace std::chrono_literals;

bool WaitUntil(const std::function<bool()>& done) {
  for (int i = 0; i < 3000 && !done(); ++i) std::this_thread::sleep_for(10ms);
  return done();
}

// Work queued while the workers are idle is taken at once on Wake, not at the next poll (an
// hour away here), and a worker keeps going while it finds work.
TEST(WorkerPool, WakeStartsQueuedWorkWithoutWaitingForThePoll) {
  std::atomic<int> queued{0};
  std::atomic<int> done{0};
  WorkerPool pool("test", 2, 1h, [&] {
    int q = queued.load();
    while (q > 0 && !queued.compare_exchange_weak(q, q - 1)) {
    }
    if (q <= 0) return false;
    ++done;
    return true;
  });
  pool.Start();
  std::this_thread::sleep_for(50ms);  // both workers found nothing and wait for the poll
  queued = 5;
  pool.Wake();
  EXPECT_TRUE(WaitUntil([&] { return done.load() == 5; })) << done.load();
  pool.Stop();
}

// A failing claim is logged and the worker tries again after the poll; Stop returns.
TEST(WorkerPool, AThrowingRunDoesNotStopTheWorker) {
  std::atomic<int> calls{0};
  WorkerPool pool("test", 1, 10ms, [&] {
    if (++calls <= 3) throw std::runtime_error("database down");
    return false;
  });
  pool.Start();
  EXPECT_TRUE(WaitUntil([&] { return calls.load() >= 4; })) << calls.load();
  pool.Stop();
}

TEST(LeaseKeeper, RenewsUntilDestroyed) {
  std::atomic<int> renewals{0};
  {
    LeaseKeeper keeper([&] { ++renewals; }, 5ms);
    EXPECT_TRUE(WaitUntil([&] { return renewals.load() >= 3; }));
  }
  const int after = renewals.load();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(renewals.load(), after);
}

}  // namespace
}  // namespace dbaas::service

#include "dbaas/metrics/registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

#include "dbaas/common/error.hpp"

namespace dbaas::metrics {
namespace {

TEST(Registry, ExposesCounterWithHelpTypeAndLabels) {
  Registry reg;
  auto& fam = reg.Counter("http_requests_total", "Requests served.", {"route", "method"});
  fam.WithLabels({"/v1/x", "GET"}).Inc();
  fam.WithLabels({"/v1/x", "GET"}).Inc(2);
  EXPECT_EQ(reg.Expose(),
            "# HELP http_requests_total Requests served.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{route=\"/v1/x\",method=\"GET\"} 3\n");
}

TEST(Registry, UnlabelledFamiliesShowZeroBeforeFirstUse) {
  Registry reg;
  reg.Gauge("pool_size", "Pool size.");
  EXPECT_EQ(reg.Expose(), "# HELP pool_size Pool size.\n# TYPE pool_size gauge\npool_size 0\n");
}

TEST(Registry, FamiliesAreSortedByName) {
  Registry reg;
  reg.Gauge("b_metric", "b");
  reg.Gauge("a_metric", "a");
  const auto text = reg.Expose();
  EXPECT_LT(text.find("a_metric"), text.find("b_metric"));
}

TEST(Registry, EscapesLabelValuesAndHelp) {
  Registry reg;
  reg.Gauge("g", "line one\nback\\slash", {"v"}).WithLabels({"a\"b\\c\nd"}).Set(1.5);
  EXPECT_EQ(reg.Expose(),
            "# HELP g line one\\nback\\\\slash\n"
            "# TYPE g gauge\n"
            "g{v=\"a\\\"b\\\\c\\nd\"} 1.5\n");
}

TEST(Registry, GaugeGoesUpAndDown) {
  Registry reg;
  auto& g = reg.Gauge("in_flight", "x").Get();
  g.Inc();
  g.Inc();
  g.Dec();
  EXPECT_EQ(g.Value(), 1.0);
  g.Set(-4);
  EXPECT_NE(reg.Expose().find("in_flight -4\n"), std::string::npos);
}

TEST(Registry, CounterIgnoresNegativeIncrements) {
  Registry reg;
  auto& c = reg.Counter("c_total", "x").Get();
  c.Inc(5);
  c.Inc(-3);
  EXPECT_EQ(c.Value(), 5.0);
}

TEST(Registry, ReRegisteringReturnsTheSameFamily) {
  Registry reg;
  auto& a = reg.Counter("x_total", "x", {"l"});
  auto& b = reg.Counter("x_total", "x", {"l"});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(&a.WithLabels({"v"}), &b.WithLabels({"v"}));
}

TEST(Registry, RejectsConflictsAndInvalidNames) {
  Registry reg;
  reg.Counter("x_total", "x", {"l"});
  EXPECT_THROW(reg.Gauge("x_total", "x", {"l"}), Error);
  EXPECT_THROW(reg.Counter("x_total", "x", {"other"}), Error);
  EXPECT_THROW(reg.Counter("1bad", "x"), Error);
  EXPECT_THROW(reg.Counter("bad-name", "x"), Error);
  EXPECT_THROW(reg.Counter("ok_total", "x", {"__reserved"}), Error);
  EXPECT_THROW(reg.Counter("ok_total", "x", {"a", "a"}), Error);
  EXPECT_THROW(reg.Histogram("h", "x", {"le"}), Error);
  EXPECT_THROW(reg.Histogram("h", "x", {}, {1, 1}), Error);
  EXPECT_THROW(reg.Histogram("h", "x", {}, {2, 1}), Error);
  EXPECT_THROW(reg.Histogram("h", "x", {}, {1, std::numeric_limits<double>::infinity()}), Error);
}

TEST(Registry, WrongNumberOfLabelValuesThrows) {
  Registry reg;
  auto& fam = reg.Counter("x_total", "x", {"a", "b"});
  EXPECT_THROW(fam.WithLabels({"only"}), Error);
}

TEST(Registry, CallbackGaugeIsReadAtScrapeAndUnregisteredWithItsHandle) {
  Registry reg;
  double connections = 3;
  {
    auto handle = reg.CallbackGauge("pool_connections", "Open connections.", {"pool"}, {"main"},
                                    [&] { return connections; });
    EXPECT_NE(reg.Expose().find("pool_connections{pool=\"main\"} 3\n"), std::string::npos);
    connections = 7;
    EXPECT_NE(reg.Expose().find("pool_connections{pool=\"main\"} 7\n"), std::string::npos);
  }
  EXPECT_EQ(reg.Expose().find("pool_connections{"), std::string::npos);
}

TEST(Registry, CallbackHandleMayOutliveTheRegistry) {
  CallbackHandle handle;
  {
    Registry reg;
    handle = reg.CallbackGauge("g", "x", [] { return 1.0; });
  }
  handle.Reset();
  SUCCEED();
}

TEST(FormatValue, UsesPrometheusSpellings) {
  EXPECT_EQ(FormatValue(1), "1");
  EXPECT_EQ(FormatValue(0.005), "0.005");
  EXPECT_EQ(FormatValue(2.5), "2.5");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
}

TEST(Registry, ConcurrentIncrementsAreNotLost) {
  Registry reg;
  auto& fam = reg.Counter("hits_total", "x", {"worker"});
  auto& hist = reg.Histogram("latency_seconds", "x", {}, {0.1, 1});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        fam.WithLabels({std::to_string(i % 4)}).Inc();
        hist.Get().Observe(t % 2 == 0 ? 0.05 : 0.5);
        if (i % 1000 == 0) (void)reg.Expose();
      }
    });
  }
  for (auto& t : threads) t.join();
  double total = 0;
  for (const auto& [values, child] : fam.Children()) total += child->Value();
  EXPECT_EQ(total, kThreads * kPerThread);
  const auto snapshot = hist.Get().Collect();
  EXPECT_EQ(snapshot.Count(), static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(snapshot.cumulative[0], static_cast<std::uint64_t>(kThreads / 2 * kPerThread));
}

}  // namespace
}  // namespace dbaas::metrics

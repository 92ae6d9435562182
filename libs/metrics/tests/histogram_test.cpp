#include <gtest/gtest.h>

#include <cmath>

#include "dbaas/metrics/registry.hpp"

namespace dbaas::metrics {
namespace {

TEST(Histogram, BoundsAreInclusiveAndCumulative) {
  Histogram h({1, 2, 5});
  h.Observe(0.5);
  h.Observe(1);    // le=1 is inclusive
  h.Observe(1.5);
  h.Observe(5);
  h.Observe(7);    // only +Inf
  const auto s = h.Collect();
  ASSERT_EQ(s.cumulative.size(), 4u);
  EXPECT_EQ(s.cumulative[0], 2u);
  EXPECT_EQ(s.cumulative[1], 3u);
  EXPECT_EQ(s.cumulative[2], 4u);
  EXPECT_EQ(s.cumulative[3], 5u);
  EXPECT_EQ(s.Count(), 5u);
  EXPECT_DOUBLE_EQ(s.sum, 15.0);
}

TEST(Histogram, NanGoesToInfBucketOnly) {
  Histogram h({1});
  h.Observe(std::nan(""));
  const auto s = h.Collect();
  EXPECT_EQ(s.cumulative[0], 0u);
  EXPECT_EQ(s.cumulative[1], 1u);
}

TEST(Histogram, ExposesBucketsSumAndCount) {
  Registry reg;
  auto& fam = reg.Histogram("req_seconds", "Latency.", {"route"}, {0.1, 0.5});
  fam.WithLabels({"/a"}).Observe(0.05);
  fam.WithLabels({"/a"}).Observe(0.3);
  fam.WithLabels({"/a"}).Observe(2);
  EXPECT_EQ(reg.Expose(),
            "# HELP req_seconds Latency.\n"
            "# TYPE req_seconds histogram\n"
            "req_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"
            "req_seconds_bucket{route=\"/a\",le=\"0.5\"} 2\n"
            "req_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"
            "req_seconds_sum{route=\"/a\"} 2.35\n"
            "req_seconds_count{route=\"/a\"} 3\n");
}

TEST(Histogram, UnlabelledHistogramHasOnlyLe) {
  Registry reg;
  reg.Histogram("h", "x", {}, {1}).Get().Observe(1);
  EXPECT_NE(reg.Expose().find("h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"),
            std::string::npos);
}

TEST(Histogram, ExponentialBuckets) {
  const auto b = ExponentialBuckets(0.001, 10, 4);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_DOUBLE_EQ(b[0], 0.001);
  EXPECT_DOUBLE_EQ(b[3], 1.0);
}

}  // namespace
}  // namespace dbaas::metrics

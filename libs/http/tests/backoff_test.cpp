#include "dbaas/http/backoff.hpp"

#include <gtest/gtest.h>

namespace dbaas::http {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, CeilingDoublesUpToTheCap) {
  Backoff b{milliseconds(50), milliseconds(1000)};
  EXPECT_EQ(b.Ceiling(0), milliseconds(50));
  EXPECT_EQ(b.Ceiling(1), milliseconds(100));
  EXPECT_EQ(b.Ceiling(4), milliseconds(800));
  EXPECT_EQ(b.Ceiling(5), milliseconds(1000));
  EXPECT_EQ(b.Ceiling(1000), milliseconds(1000));
}

TEST(Backoff, FullJitterSpansZeroToCeiling) {
  Backoff b{milliseconds(50), milliseconds(1000)};
  EXPECT_EQ(b.Delay(2, 0.0), milliseconds(0));
  EXPECT_EQ(b.Delay(2, 0.999999), milliseconds(200));
  EXPECT_EQ(b.Delay(2, 0.5), milliseconds(100));
  for (int retry = 0; retry < 20; ++retry) {
    for (int i = 0; i < 50; ++i) {
      const auto d = b.RandomDelay(retry);
      EXPECT_GE(d, milliseconds(0));
      EXPECT_LE(d, b.Ceiling(retry));
    }
  }
}

}  // namespace
}  // namespace dbaas::http

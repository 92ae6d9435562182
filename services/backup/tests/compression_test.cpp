#include <gtest/gtest.h>

#include <chrono>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "pipeline/compression.hpp"
#include "pipeline/throttle.hpp"

namespace dbaas::backup {
namespace {

std::string Transform(StreamTransform& t, std::string_view input, std::size_t piece) {
  std::string out;
  const Emit emit = [&](std::string_view p) {
    EXPECT_LE(p.size(), 256U * 1024U);
    out.append(p);
  };
  for (std::size_t i = 0; i < input.size(); i += piece) t.Update(input.substr(i, piece), emit);
  t.Finish(emit);
  return out;
}

class EveryCompression : public ::testing::TestWithParam<Compression> {};

TEST_P(EveryCompression, RoundTripsInAnyPieceSizes) {
  std::string data = crypto::RandomBytes(300000) + std::string(3000000, 'x') + "tail";
  for (std::size_t piece : {1UL, 4096UL, 1UL << 20}) {
    if (piece == 1 && data.size() > 100000) data.resize(100000);
    auto c = MakeCompressor(GetParam());
    const auto packed = Transform(*c, data, piece);
    auto d = MakeDecompressor(GetParam());
    EXPECT_EQ(Transform(*d, packed, piece), data) << CompressionName(GetParam()) << " piece " << piece;
  }
}

TEST_P(EveryCompression, EmptyStreamRoundTrips) {
  auto c = MakeCompressor(GetParam());
  const auto packed = Transform(*c, "", 1);
  auto d = MakeDecompressor(GetParam());
  EXPECT_EQ(Transform(*d, packed, 1), "");
}

class FramedCompression : public ::testing::TestWithParam<Compression> {};

TEST_P(FramedCompression, TruncatedStreamIsRefused) {
  auto c = MakeCompressor(GetParam());
  const auto packed = Transform(*c, std::string(100000, 'y') + crypto::RandomBytes(1000), 4096);
  auto d = MakeDecompressor(GetParam());
  EXPECT_THROW(Transform(*d, packed.substr(0, packed.size() - 5), 4096), Error);
}

INSTANTIATE_TEST_SUITE_P(All, FramedCompression,
                         ::testing::Values(Compression::kZstd, Compression::kGzip,
                                           Compression::kLz4),
                         [](const auto& p) { return std::string(CompressionName(p.param)); });
INSTANTIATE_TEST_SUITE_P(All, EveryCompression,
                         ::testing::Values(Compression::kNone, Compression::kZstd,
                                           Compression::kGzip, Compression::kLz4),
                         [](const auto& p) { return std::string(CompressionName(p.param)); });

TEST(Compression, HighlyCompressibleInputDecompressesInBoundedPieces) {
  // 64 MiB of zeros compress to a few KiB; the decompressor must hand them out in pieces.
  auto c = MakeCompressor(Compression::kZstd);
  std::string packed;
  const Emit collect = [&](std::string_view p) { packed.append(p); };
  const std::string mib(1 << 20, '\0');
  for (int i = 0; i < 64; ++i) c->Update(mib, collect);
  c->Finish(collect);
  EXPECT_LT(packed.size(), 64U * 1024U);
  auto d = MakeDecompressor(Compression::kZstd);
  std::size_t total = 0;
  std::size_t largest = 0;
  const Emit count = [&](std::string_view p) {
    total += p.size();
    largest = std::max(largest, p.size());
  };
  d->Update(packed, count);
  d->Finish(count);
  EXPECT_EQ(total, 64U << 20);
  EXPECT_LE(largest, 256U * 1024U);
}

TEST(Compression, NamesParseBack) {
  for (auto c : {Compression::kNone, Compression::kZstd, Compression::kGzip, Compression::kLz4}) {
    EXPECT_EQ(ParseCompression(CompressionName(c)), c);
  }
  EXPECT_EQ(ParseCompression("bzip2"), std::nullopt);
}

TEST(TokenBucket, PacesReadsToTheRate) {
  ManualClock clock(std::chrono::system_clock::from_time_t(1700000000));
  std::chrono::nanoseconds slept{0};
  TokenBucket bucket(1e6, 1e5, clock, [&](std::chrono::nanoseconds d) {
    slept += d;
    clock.Advance(d);
  });
  // 10 MB at 1 MB/s with a 0.1 MB burst: about 9.9 s of waiting.
  for (int i = 0; i < 100; ++i) bucket.Acquire(100000);
  const double seconds = std::chrono::duration<double>(slept).count();
  EXPECT_NEAR(seconds, 9.9, 0.01);
}

TEST(TokenBucket, IdleTimeRefillsOnlyUpToTheBurst) {
  ManualClock clock(std::chrono::system_clock::from_time_t(1700000000));
  std::chrono::nanoseconds slept{0};
  TokenBucket bucket(1000, 500, clock, [&](std::chrono::nanoseconds d) {
    slept += d;
    clock.Advance(d);
  });
  clock.Advance(std::chrono::hours(1));
  bucket.Acquire(500);
  EXPECT_EQ(slept.count(), 0);
  bucket.Acquire(1000);  // larger than the burst: paid in full
  EXPECT_NEAR(std::chrono::duration<double>(slept).count(), 1.0, 0.001);
}

TEST(TokenBucket, RefusesNonPositiveRates) {
  EXPECT_THROW(TokenBucket(0, 1), Error);
  EXPECT_THROW(TokenBucket(1, 0), Error);
}

}  // namespace
}  // namespace dbaas::backup

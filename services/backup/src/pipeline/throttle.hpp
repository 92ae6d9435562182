#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

#include "dbaas/common/clock.hpp"
#include "pipeline/byte_stream.hpp"

namespace dbaas::backup {

/// A token bucket over bytes: `rate` bytes per second refill up to `burst` bytes. Acquire()
/// waits until the bytes are available, so a stream read through it averages at most `rate`
/// bytes per second (plus one initial burst). Not thread-safe.
class TokenBucket {
 public:
  using Sleep = std::function<void(std::chrono::nanoseconds)>;

  /// `clock` must outlive the bucket; `sleep` defaults to std::this_thread::sleep_for.
  TokenBucket(double bytes_per_second, double burst_bytes,
              const Clock& clock = SystemClock::Instance(), Sleep sleep = {});
  /// Takes `bytes` tokens, sleeping as long as needed first.
  void Acquire(std::size_t bytes);

 private:
  void Refill();
  double rate_;
  double burst_;
  double tokens_;
  const Clock& clock_;
  Sleep sleep_;
  TimePoint last_;
};

/// A source whose reads are paced by a token bucket: at most `megabytes_per_second` MB/s
/// (10^6 bytes), with a burst of one 1 MiB chunk. For Property 11 (backup I/O isolation).
class ThrottledSource final : public ByteSource {
 public:
  ThrottledSource(ByteSource& inner, double megabytes_per_second,
                  const Clock& clock = SystemClock::Instance(), TokenBucket::Sleep sleep = {});
  std::size_t Read(char* buffer, std::size_t size) override;

 private:
  ByteSource& inner_;
  TokenBucket bucket_;
};

}  // namespace dbaas::backup

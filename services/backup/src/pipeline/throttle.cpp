#include "pipeline/throttle.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

#include "dbaas/common/error.hpp"

namespace dbaas::backup {

TokenBucket::TokenBucket(double bytes_per_second, double burst_bytes, const Clock& clock,
                         Sleep sleep)
    : rate_(bytes_per_second), burst_(burst_bytes), tokens_(burst_bytes), clock_(clock),
      sleep_(std::move(sleep)), last_(clock.Now()) {
  if (!(rate_ > 0) || !(burst_ > 0)) {
    throw Error(ErrorCode::kInvalidArgument, "a throttle rate and burst must be positive");
  }
  if (!sleep_) sleep_ = [](std::chrono::nanoseconds d) { std::this_thread::sleep_for(d); };
}

void TokenBucket::Refill() {
  const auto now = clock_.Now();
  if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }
}

void TokenBucket::Acquire(std::size_t bytes) {
  // A request larger than the burst is taken in burst-sized pieces so it can ever succeed.
  double wanted = static_cast<double>(bytes);
  while (wanted > 0) {
    const double piece = std::min(wanted, burst_);
    Refill();
    if (tokens_ < piece) {
      const double seconds = (piece - tokens_) / rate_;
      sleep_(std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(seconds * 1e9))));
      Refill();
      // A sleep that returned early (or a clock that did not move) still pays the debt.
      if (tokens_ < piece) tokens_ = piece;
    }
    tokens_ -= piece;
    wanted -= piece;
  }
}

ThrottledSource::ThrottledSource(ByteSource& inner, double megabytes_per_second,
                                 const Clock& clock, TokenBucket::Sleep sleep)
    : inner_(inner),
      bucket_(megabytes_per_second * 1e6, 1024.0 * 1024.0, clock, std::move(sleep)) {}

std::size_t ThrottledSource::Read(char* buffer, std::size_t size) {
  const auto n = inner_.Read(buffer, size);
  bucket_.Acquire(n);
  return n;
}

}  // namespace dbaas::backup

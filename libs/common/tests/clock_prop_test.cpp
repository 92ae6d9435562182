#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "dbaas/common/clock.hpp"

namespace dbaas {
namespace {

RC_GTEST_PROP(Rfc3339, FormatThenParseIsIdentityAtMillisecondPrecision, ()) {
  // Years 1970..2199 (system_clock counts nanoseconds in 64 bits: it ends in 2262).
  const auto millis = *rc::gen::inRange<std::int64_t>(0, 7258118400000LL);
  const TimePoint t{std::chrono::milliseconds(millis)};
  const auto parsed = ParseRfc3339(FormatRfc3339(t));
  RC_ASSERT(parsed.has_value());
  RC_ASSERT(*parsed == t);
}

}  // namespace
}  // namespace dbaas

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>

#include "dbaas/metrics/registry.hpp"

namespace dbaas::metrics {
namespace {

std::string Unescape(std::string_view escaped) {
  std::string out;
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] == '\\' && i + 1 < escaped.size()) {
      ++i;
      out += escaped[i] == 'n' ? '\n' : escaped[i];
    } else {
      out += escaped[i];
    }
  }
  return out;
}

// Property: Metric Exposition Round-Trip — any label value survives escaping unchanged and the
// escaped form never contains a raw newline or an unescaped quote.
RC_GTEST_PROP(Exposition, LabelValueEscapingRoundTrips, (const std::string& value)) {
  const auto escaped = EscapeLabelValue(value);
  RC_ASSERT(escaped.find('\n') == std::string::npos);
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] == '\\') {
      ++i;
      continue;
    }
    RC_ASSERT(escaped[i] != '"');
  }
  RC_ASSERT(Unescape(escaped) == value);
}

// Property: Histogram Bucket Consistency — cumulative counts never decrease, the +Inf bucket
// equals the count, each bucket holds exactly the observations <= its bound, and the sum adds up.
RC_GTEST_PROP(Histogram, BucketsMatchABruteForceCount, ()) {
  auto raw_bounds = *rc::gen::container<std::set<int>>(rc::gen::inRange(-1000, 1000));
  std::vector<double> bounds;
  for (int b : raw_bounds) bounds.push_back(b / 10.0);
  const auto values = *rc::gen::container<std::vector<int>>(rc::gen::inRange(-2000, 2000));
  Histogram h(bounds);
  double expected_sum = 0;
  for (int v : values) {
    h.Observe(v / 10.0);
    expected_sum += v / 10.0;
  }
  const auto s = h.Collect();
  RC_ASSERT(s.cumulative.size() == bounds.size() + 1);
  RC_ASSERT(s.Count() == values.size());
  RC_ASSERT(std::is_sorted(s.cumulative.begin(), s.cumulative.end()));
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    const auto expected = static_cast<std::uint64_t>(std::count_if(
        values.begin(), values.end(), [&](int v) { return v / 10.0 <= bounds[i]; }));
    RC_ASSERT(s.cumulative[i] == expected);
  }
  RC_ASSERT(std::abs(s.sum - expected_sum) < 1e-6 * (1 + std::abs(expected_sum)));
}

}  // namespace
}  // namespace dbaas::metrics

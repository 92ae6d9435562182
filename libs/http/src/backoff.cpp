#include "dbaas/http/backoff.hpp"

#include <algorithm>
#include <random>

namespace dbaas::http {

std::chrono::milliseconds Backoff::Ceiling(int retry) const noexcept {
  const auto cap_ms = std::max<std::int64_t>(cap.count(), 0);
  std::int64_t ceiling = std::max<std::int64_t>(base.count(), 0);
  for (int i = 0; i < retry && ceiling < cap_ms; ++i) ceiling = ceiling > cap_ms / 2 ? cap_ms : ceiling * 2;
  return std::chrono::milliseconds(std::min(ceiling, cap_ms));
}

std::chrono::milliseconds Backoff::Delay(int retry, double unit_random) const noexcept {
  const auto ceiling = Ceiling(retry).count();
  const double r = std::clamp(unit_random, 0.0, 1.0);
  const auto delay = static_cast<std::int64_t>(r * static_cast<double>(ceiling + 1));
  return std::chrono::milliseconds(std::min(delay, ceiling));
}

std::chrono::milliseconds Backoff::RandomDelay(int retry) const {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return Delay(retry, std::uniform_real_distribution<double>(0.0, 1.0)(engine));
}

}  // namespace dbaas::http

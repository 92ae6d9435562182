#include "upstream_health.hpp"

#include "dbaas/common/error.hpp"

namespace dbaas::gateway {

UpstreamHealth::UpstreamHealth(Upstreams& upstreams, std::chrono::milliseconds cache_for,
                               const Clock& clock)
    : upstreams_(upstreams), cache_for_(cache_for), clock_(clock) {}

bool UpstreamHealth::Check(const std::string& service) {
  if (!upstreams_.Configured(service)) return false;
  {
    std::lock_guard lock(mutex_);
    const auto it = results_.find(service);
    if (it != results_.end() && clock_.Now() - it->second.at < cache_for_) return it->second.ok;
  }
  bool ok = false;
  try {
    http::ClientRequest probe;
    probe.target = service == "access-control" ? "/readyz" : "/livez";
    probe.timeout = std::chrono::seconds(2);
    const auto response = upstreams_.Call(service, std::move(probe));
    ok = response.status >= 200 && response.status < 300;
  } catch (const Error&) {
    ok = false;
  }
  std::lock_guard lock(mutex_);
  results_[service] = Result{ok, clock_.Now()};
  return ok;
}

}  // namespace dbaas::gateway

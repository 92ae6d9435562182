#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "dbaas/common/clock.hpp"
#include "upstreams.hpp"

namespace dbaas::gateway {

/// Whether each service behind the gateway answers: access-control's /readyz (the gateway
/// cannot authenticate anyone without it) and every other service's /livez. Results are reused
/// for `cache_for`, so frequent /readyz probes do not multiply into calls. Thread-safe.
class UpstreamHealth {
 public:
  /// `upstreams` and `clock` must outlive this.
  UpstreamHealth(Upstreams& upstreams, std::chrono::milliseconds cache_for, const Clock& clock);

  /// True when `service` is configured and its probe answered 2xx (possibly cached).
  bool Check(const std::string& service);

 private:
  struct Result {
    bool ok = false;
    TimePoint at;
  };
  Upstreams& upstreams_;
  std::chrono::milliseconds cache_for_;
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Result> results_;
};

}  // namespace dbaas::gateway

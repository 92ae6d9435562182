#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "dbaas/service/service_host.hpp"

namespace dbaas::service {

/// A Worker that runs `task` once when the service starts and then every `interval` on its own
/// thread, until the service stops (Stop wakes it at once and joins). A task that throws is
/// logged with the worker's name and runs again at the next interval.
Worker PeriodicWorker(std::string name, std::chrono::milliseconds interval,
                      std::function<void()> task);

}  // namespace dbaas::service

#pragma once

#include "dbaas/service/service_host.hpp"

namespace dbaas::provisioning {

inline constexpr std::string_view kServiceName = "provisioning";
inline constexpr std::uint16_t kDefaultPort = 8082;

/// The provisioning service: the engine catalog, instances and their lifecycle operations,
/// carried out by the runtime. The composition root.
service::Definition Definition();

}  // namespace dbaas::provisioning

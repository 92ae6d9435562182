#pragma once

#include "dbaas/service/service_host.hpp"

namespace dbaas::gateway {

inline constexpr std::uint16_t kDefaultPort = 8080;
inline constexpr std::string_view kServiceName = "gateway";

/// The gateway service: the platform's single public entry (routing, authentication, RBAC,
/// rate limiting, request validation) on the shared service host. It owns no tables: its
/// database holds nothing yet (zero migrations) but keeps the boot sequence uniform.
service::Definition Definition();

}  // namespace dbaas::gateway

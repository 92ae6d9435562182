#pragma once

#include "dbaas/service/service_host.hpp"

namespace dbaas::access_control {

inline constexpr std::uint16_t kDefaultPort = 8081;

/// The access-control service: tenants, users, roles, API keys, signing keys and tokens. The
/// composition root: repository -> domain service -> handlers, on the shared service host.
service::Definition Definition();

}  // namespace dbaas::access_control

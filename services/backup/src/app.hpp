#pragma once

#include "dbaas/service/service_host.hpp"

namespace dbaas::backup {

inline constexpr std::string_view kServiceName = "backup";
inline constexpr std::uint16_t kDefaultPort = 8083;

/// The backup service: backups on demand and on schedule, their verification and retention,
/// for the instances provisioning announces in its events. The composition root.
service::Definition Definition();

}  // namespace dbaas::backup

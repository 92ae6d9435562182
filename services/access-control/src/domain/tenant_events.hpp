#pragma once

#include <string>

#include "domain/tenant.hpp"

namespace dbaas::events {
struct Event;
}

/// The events tenants emit, on subjects dbaas.access-control.tenant.<verb>.
namespace dbaas::access_control {

inline constexpr std::string_view kServiceName = "access-control";

events::Event TenantCreatedEvent(const Tenant& tenant, const std::string& request_id);
events::Event TenantUpdatedEvent(const Tenant& before, const Tenant& after,
                                 const std::string& request_id);
events::Event TenantDeletedEvent(const Tenant& tenant, const std::string& request_id);

}  // namespace dbaas::access_control

#include "domain/tenant_events.hpp"

#include "dbaas/events/event.hpp"
#include "dbaas/events/v1/tenant.pb.h"

namespace dbaas::access_control {
namespace {

void FillLimits(const TenantLimits& limits, events::v1::TenantLimits* out) {
  out->set_max_instances(static_cast<std::int32_t>(limits.max_instances));
  out->set_max_storage_gb(limits.max_storage_gb);
  out->set_max_backups(static_cast<std::int32_t>(limits.max_backups));
  out->set_max_connections(static_cast<std::int32_t>(limits.max_connections));
}

}  // namespace

events::Event TenantCreatedEvent(const Tenant& tenant, const std::string& request_id) {
  events::v1::TenantCreated msg;
  msg.set_tenant_id(tenant.id.str());
  msg.set_name(tenant.name);
  msg.set_display_name(tenant.display_name);
  msg.set_active(tenant.active);
  FillLimits(tenant.limits, msg.mutable_limits());
  return events::MakeEvent("dbaas.access-control.tenant.created", std::string(kServiceName),
                           tenant.id.str(), msg, request_id);
}

events::Event TenantUpdatedEvent(const Tenant& before, const Tenant& after,
                                 const std::string& request_id) {
  events::v1::TenantUpdated msg;
  msg.set_tenant_id(after.id.str());
  msg.set_name(after.name);
  msg.set_display_name(after.display_name);
  msg.set_active(after.active);
  FillLimits(after.limits, msg.mutable_limits());
  if (before.display_name != after.display_name) msg.add_changed_fields("display_name");
  if (before.active != after.active) msg.add_changed_fields("active");
  const auto& b = before.limits;
  const auto& a = after.limits;
  if (b.max_instances != a.max_instances) msg.add_changed_fields("limits.max_instances");
  if (b.max_storage_gb != a.max_storage_gb) msg.add_changed_fields("limits.max_storage_gb");
  if (b.max_backups != a.max_backups) msg.add_changed_fields("limits.max_backups");
  if (b.max_connections != a.max_connections) msg.add_changed_fields("limits.max_connections");
  return events::MakeEvent("dbaas.access-control.tenant.updated", std::string(kServiceName),
                           after.id.str(), msg, request_id);
}

events::Event TenantDeletedEvent(const Tenant& tenant, const std::string& request_id) {
  events::v1::TenantDeleted msg;
  msg.set_tenant_id(tenant.id.str());
  msg.set_name(tenant.name);
  return events::MakeEvent("dbaas.access-control.tenant.deleted", std::string(kServiceName),
                           tenant.id.str(), msg, request_id);
}

}  // namespace dbaas::access_control

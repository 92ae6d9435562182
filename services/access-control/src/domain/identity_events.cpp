#include "domain/identity_events.hpp"

#include "dbaas/events/event.hpp"
#include "dbaas/events/v1/identity.pb.h"
#include "domain/tenant_events.hpp"

namespace dbaas::access_control {
namespace {

std::string Subject(std::string_view entity, std::string_view verb) {
  return "dbaas.access-control." + std::string(entity) + "." + std::string(verb);
}

}  // namespace

events::Event UserCreatedEvent(const User& user, const std::string& request_id) {
  events::v1::UserCreated msg;
  msg.set_user_id(user.id.str());
  msg.set_tenant_id(user.tenant_id);
  msg.set_username(user.username);
  msg.set_email(user.email.value_or(""));
  msg.set_display_name(user.display_name);
  msg.set_active(user.active);
  return events::MakeEvent(Subject("user", "created"), std::string(kServiceName), user.tenant_id,
                           msg, request_id);
}

events::Event UserUpdatedEvent(const User& user, const std::vector<std::string>& changed,
                               const std::string& request_id) {
  events::v1::UserUpdated msg;
  msg.set_user_id(user.id.str());
  msg.set_tenant_id(user.tenant_id);
  msg.set_username(user.username);
  msg.set_email(user.email.value_or(""));
  msg.set_display_name(user.display_name);
  msg.set_active(user.active);
  for (const auto& field : changed) msg.add_changed_fields(field);
  return events::MakeEvent(Subject("user", "updated"), std::string(kServiceName), user.tenant_id,
                           msg, request_id);
}

events::Event UserDeletedEvent(const User& user, const std::string& request_id) {
  events::v1::UserDeleted msg;
  msg.set_user_id(user.id.str());
  msg.set_tenant_id(user.tenant_id);
  msg.set_username(user.username);
  return events::MakeEvent(Subject("user", "deleted"), std::string(kServiceName), user.tenant_id,
                           msg, request_id);
}

events::Event RoleChangedEvent(const CustomRole& role, std::string_view change,
                               const std::string& request_id) {
  events::v1::RoleChanged msg;
  msg.set_role_id(role.id);
  msg.set_tenant_id(role.tenant_id);
  msg.set_name(role.name);
  msg.set_change(std::string(change));
  if (change != "deleted") {
    for (const auto& p : role.permissions) msg.add_permissions(auth::ToString(p));
  }
  return events::MakeEvent(Subject("role", change), std::string(kServiceName), role.tenant_id, msg,
                           request_id);
}

events::Event RoleAssignmentEvent(const std::string& user_id, const std::string& tenant_id,
                                  const std::string& role, std::string_view change,
                                  const std::string& request_id) {
  events::v1::RoleAssignmentChanged msg;
  msg.set_user_id(user_id);
  msg.set_tenant_id(tenant_id);
  msg.set_role(role);
  msg.set_change(std::string(change));
  return events::MakeEvent(Subject("role-assignment", change), std::string(kServiceName), tenant_id,
                           msg, request_id);
}

events::Event ApiKeyEvent(const ApiKeyRecord& key, std::string_view change,
                          const std::string& request_id) {
  events::v1::ApiKeyChanged msg;
  msg.set_api_key_id(key.id);
  msg.set_tenant_id(key.tenant_id);
  msg.set_name(key.name);
  for (const auto& r : key.roles) msg.add_roles(r);
  msg.set_change(std::string(change));
  return events::MakeEvent(Subject("api-key", change), std::string(kServiceName), key.tenant_id,
                           msg, request_id);
}

}  // namespace dbaas::access_control

#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "domain/api_key_record.hpp"
#include "domain/custom_role.hpp"
#include "domain/user.hpp"

namespace dbaas::events {
struct Event;
}

/// The events of users, roles, role assignments and API keys, on subjects
/// dbaas.access-control.<entity>.<verb>. None carries a secret or a hash of one.
namespace dbaas::access_control {

events::Event UserCreatedEvent(const User& user, const std::string& request_id);
/// `changed` names the fields that changed ("display_name", "active", "password", "lock").
events::Event UserUpdatedEvent(const User& user, const std::vector<std::string>& changed,
                               const std::string& request_id);
events::Event UserDeletedEvent(const User& user, const std::string& request_id);
/// `change` is "created", "updated" or "deleted".
events::Event RoleChangedEvent(const CustomRole& role, std::string_view change,
                               const std::string& request_id);
/// `change` is "assigned" or "unassigned".
events::Event RoleAssignmentEvent(const std::string& user_id, const std::string& tenant_id,
                                  const std::string& role, std::string_view change,
                                  const std::string& request_id);
/// `change` is "created" or "revoked".
events::Event ApiKeyEvent(const ApiKeyRecord& key, std::string_view change,
                          const std::string& request_id);

}  // namespace dbaas::access_control

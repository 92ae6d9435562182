#pragma once

#include <span>
#include <string>
#include <vector>
#include <string_view>

#include "dbaas/common/clock.hpp"
#include "dbaas/events/event.hpp"

/// Audit records on their way to the audit log: producers (the gateway for every API call,
/// access-control for logins) turn them into events on subject dbaas.<source>.audit.recorded;
/// access-control's audit consumer turns them back and appends them to the hash chain.
namespace dbaas::events {

/// One auditable happening. Never holds a credential, password or request body.
struct AuditRecord {
  /// The event id ("evt_..."); becomes the audit entry's id. Generated when empty.
  std::string id;
  /// When it happened (milliseconds survive); now when left at the epoch.
  TimePoint time{};
  /// The service that saw it: "gateway", "access-control".
  std::string source;
  std::string request_id;
  /// "api.call", "auth.login", "auth.refresh", "auth.lockout", "auth.unlock" ...
  std::string category;
  /// "user", "api_key", "service" or "anonymous".
  std::string actor_type = "anonymous";
  std::string actor_id;
  std::string actor_name;
  /// The actor's tenant; empty for platform identities and anonymous callers.
  std::string tenant_id;
  /// "<resource>:<action>", e.g. "instances:create".
  std::string action;
  /// The request path of an API call, the username of a login.
  std::string resource;
  std::string method;
  /// "success", "failure" or "denied".
  std::string outcome;
  int status = 0;
  /// A bounded word for a denial or failure ("invalid_token", "wrong_password" ...).
  std::string reason;
  std::string source_address;
  std::string user_agent;

  bool operator==(const AuditRecord&) const = default;
};

/// The outcomes an audit record may carry.
inline constexpr std::string_view kAuditSuccess = "success";
inline constexpr std::string_view kAuditFailure = "failure";
inline constexpr std::string_view kAuditDenied = "denied";

/// Subject filter matching every producer's audit events (single records and batches).
inline constexpr std::string_view kAuditSubjects = "dbaas.*.audit.*";

/// The event carrying `record` (subject dbaas.<source>.audit.recorded). Over-long free-text
/// fields (path, user agent, names) are cut to bounded sizes. Throws Error{INVALID_ARGUMENT}
/// when source, category or outcome is empty or the outcome is not one of the three.
Event MakeAuditEvent(AuditRecord record);
/// The record an audit event carries. Throws Error{INVALID_ARGUMENT} when `e` is not an
/// AuditRecorded event or its payload does not parse.
AuditRecord AuditRecordFromEvent(const Event& e);

/// One event (subject dbaas.<source>.audit.batch) carrying all of `records` (same source,
/// at least one), each keeping its own id, time and request id (generated when empty), so a
/// producer publishes once per batch instead of once per record. Same checks as
/// MakeAuditEvent for every record.
Event MakeAuditBatchEvent(std::span<const AuditRecord> records);
/// The records of a single-record or a batch audit event, in order.
std::vector<AuditRecord> AuditRecordsFromEvent(const Event& e);

}  // namespace dbaas::events

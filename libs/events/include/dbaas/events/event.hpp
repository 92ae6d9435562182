#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/id.hpp"

namespace dbaas::events {

/// One domain event, as written to the outbox and carried on NATS inside an Envelope.
struct Event {
  /// Unique id "evt_..."; also the Nats-Msg-Id JetStream de-duplicates on.
  std::string id;
  /// dbaas.<service>.<entity>.<verb>, e.g. "dbaas.access-control.tenant.created" (ce-type).
  std::string subject;
  /// The emitting service, e.g. "access-control" (ce-source).
  std::string source;
  /// The tenant the event concerns; empty for platform-wide events.
  std::string tenant_id;
  /// When the change happened, with millisecond precision (what survives every hop).
  TimePoint time;
  /// The request that caused the change; may be empty.
  std::string request_id;
  /// Full protobuf name of the payload, e.g. "dbaas.events.v1.TenantCreated".
  std::string payload_type;
  /// The serialized payload message (raw bytes).
  std::string payload;

  bool operator==(const Event&) const = default;
};

/// True when `subject` is dbaas.<service>.<entity>.<verb>: exactly four dot-separated tokens,
/// the first "dbaas", each non-empty and made of [a-z0-9-].
bool IsValidSubject(std::string_view subject) noexcept;
/// Throws Error{INVALID_ARGUMENT} naming the subject when IsValidSubject is false.
void ValidateSubject(std::string_view subject);

/// Throws Error{INVALID_ARGUMENT} when `e` lacks an id, source or payload type, or its subject
/// is not valid. Enqueue and JetStream::Publish call it.
void ValidateEvent(const Event& e);

/// Builds an Event with a fresh "evt_" id, the current time (truncated to milliseconds) and
/// `msg` serialized. `Msg` is a generated protobuf message. Throws Error{INVALID_ARGUMENT}
/// when `subject` is not valid (see IsValidSubject) or `source` is empty.
template <class Msg>
Event MakeEvent(std::string subject, std::string source, std::string tenant_id, const Msg& msg,
                std::string request_id = {}) {
  Event e;
  e.id = EventId::Generate().str();
  e.subject = std::move(subject);
  e.source = std::move(source);
  e.tenant_id = std::move(tenant_id);
  e.time = std::chrono::time_point_cast<std::chrono::milliseconds>(SystemClock::Instance().Now());
  e.request_id = std::move(request_id);
  e.payload_type = msg.GetTypeName();
  e.payload = msg.SerializeAsString();
  ValidateEvent(e);
  return e;
}

}  // namespace dbaas::events

#include "dbaas/events/envelope.hpp"

#include <chrono>
#include <limits>

#include "dbaas/common/error.hpp"
#include "dbaas/events/v1/envelope.pb.h"

namespace dbaas::events {

std::string EncodeEnvelope(const Event& e) {
  v1::Envelope envelope;
  envelope.set_id(e.id);
  envelope.set_type(e.subject);
  envelope.set_source(e.source);
  envelope.set_tenant_id(e.tenant_id);
  envelope.set_time_unix_nanos(
      std::chrono::duration_cast<std::chrono::nanoseconds>(e.time.time_since_epoch()).count());
  envelope.set_request_id(e.request_id);
  envelope.set_payload_type(e.payload_type);
  envelope.set_payload(e.payload);
  return envelope.SerializeAsString();
}

Event DecodeEnvelope(std::string_view bytes) {
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw Error(ErrorCode::kInvalidArgument, "event envelope too large");
  }
  v1::Envelope envelope;
  if (!envelope.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw Error(ErrorCode::kInvalidArgument, "message is not a dbaas.events.v1.Envelope");
  }
  if (envelope.id().empty() || envelope.type().empty()) {
    throw Error(ErrorCode::kInvalidArgument, "event envelope lacks an id or type");
  }
  Event e;
  e.id = envelope.id();
  e.subject = envelope.type();
  e.source = envelope.source();
  e.tenant_id = envelope.tenant_id();
  e.time = TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::nanoseconds(envelope.time_unix_nanos())));
  e.request_id = envelope.request_id();
  e.payload_type = envelope.payload_type();
  e.payload = envelope.payload();
  return e;
}

}  // namespace dbaas::events

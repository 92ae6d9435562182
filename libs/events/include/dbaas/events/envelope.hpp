#pragma once

#include <string>
#include <string_view>

#include "dbaas/events/event.hpp"

namespace dbaas::events {

/// Serializes `e` as a dbaas.events.v1.Envelope protobuf (the message body on NATS).
std::string EncodeEnvelope(const Event& e);
/// Parses an Envelope; throws Error{INVALID_ARGUMENT} when `bytes` is not a valid Envelope or
/// lacks an id or subject.
Event DecodeEnvelope(std::string_view bytes);

}  // namespace dbaas::events

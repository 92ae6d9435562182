#pragma once

#include <string>
#include <string_view>

#include "dbaas/events/event.hpp"
#include "dbaas/store/store.hpp"

namespace dbaas::events::detail {

/// The columns EventFromRow reads, for SELECT lists over event_outbox.
inline constexpr std::string_view kOutboxColumns =
    "seq, id, subject, source, tenant_id, "
    "(extract(epoch FROM event_time) * 1000)::bigint AS time_ms, request_id, payload_type, "
    "encode(payload, 'hex') AS payload_hex";

/// The Event stored in an event_outbox row selected with kOutboxColumns; throws
/// Error{INTERNAL} when the row is malformed.
Event EventFromRow(const store::Row& row);

/// Lower-case hex to bytes; throws Error{INTERNAL} on malformed input.
std::string HexDecode(std::string_view hex);

}  // namespace dbaas::events::detail

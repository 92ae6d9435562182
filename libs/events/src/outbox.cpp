#include "dbaas/events/outbox.hpp"

#include <chrono>
#include <string>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "outbox_row.hpp"

namespace dbaas::events {

void Enqueue(store::Tx& tx, const Event& e) {
  ValidateEvent(e);
  tx.Exec(
      "INSERT INTO event_outbox "
      "(id, subject, source, tenant_id, event_time, request_id, payload_type, payload) "
      "VALUES ($1, $2, $3, $4, $5::timestamptz, $6, $7, decode($8, 'hex'))",
      {e.id, e.subject, e.source, e.tenant_id, FormatRfc3339(e.time), e.request_id, e.payload_type,
       crypto::HexEncode(e.payload)});
  // NOTIFY is transactional: listeners hear it only when the caller commits.
  tx.Exec("SELECT pg_notify($1, $2)", {std::string(kOutboxChannel), e.id});
}

namespace detail {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  throw Error(ErrorCode::kInternal, "malformed hex in event_outbox.payload");
}

}  // namespace

std::string HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) throw Error(ErrorCode::kInternal, "odd-length hex in event_outbox");
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    out.push_back(static_cast<char>((HexValue(hex[i]) << 4) | HexValue(hex[i + 1])));
  }
  return out;
}

Event EventFromRow(const store::Row& row) {
  Event e;
  e.id = row.Get("id");
  e.subject = row.Get("subject");
  e.source = row.Get("source");
  e.tenant_id = row.Get("tenant_id");
  e.time = TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::milliseconds(row.GetInt("time_ms"))));
  e.request_id = row.Get("request_id");
  e.payload_type = row.Get("payload_type");
  e.payload = HexDecode(row.Get("payload_hex"));
  return e;
}

}  // namespace detail
}  // namespace dbaas::events

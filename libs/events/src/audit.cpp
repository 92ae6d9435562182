#include "dbaas/events/audit.hpp"

#include "dbaas/common/error.hpp"
#include "dbaas/common/id.hpp"
#include "dbaas/events/v1/audit.pb.h"

namespace dbaas::events {
namespace {

constexpr std::size_t kMaxPath = 1024;
constexpr std::size_t kMaxText = 256;

std::string Cut(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  // Never split a UTF-8 sequence: back up to the start of a character.
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) --end;
  text.resize(end);
  return text;
}

void CheckRecord(const AuditRecord& record) {
  if (record.source.empty() || record.category.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "an audit record needs a source and a category");
  }
  if (record.outcome != kAuditSuccess && record.outcome != kAuditFailure &&
      record.outcome != kAuditDenied) {
    throw Error(ErrorCode::kInvalidArgument,
                "audit outcome \"" + record.outcome + "\" is not success, failure or denied");
  }
}

v1::AuditRecorded ToMessage(const AuditRecord& record) {
  v1::AuditRecorded msg;
  msg.set_category(record.category);
  msg.set_actor_type(record.actor_type);
  msg.set_actor_id(Cut(record.actor_id, kMaxText));
  msg.set_actor_name(Cut(record.actor_name, kMaxText));
  msg.set_tenant_id(Cut(record.tenant_id, kMaxText));
  msg.set_action(Cut(record.action, kMaxText));
  msg.set_resource(Cut(record.resource, kMaxPath));
  msg.set_method(Cut(record.method, 16));
  msg.set_outcome(record.outcome);
  msg.set_status(record.status);
  msg.set_reason(Cut(record.reason, kMaxText));
  msg.set_source_address(Cut(record.source_address, kMaxText));
  msg.set_user_agent(Cut(record.user_agent, kMaxText));
  return msg;
}

AuditRecord FromMessage(const v1::AuditRecorded& msg) {
  AuditRecord r;
  r.category = msg.category();
  r.actor_type = msg.actor_type();
  r.actor_id = msg.actor_id();
  r.actor_name = msg.actor_name();
  r.tenant_id = msg.tenant_id();
  r.action = msg.action();
  r.resource = msg.resource();
  r.method = msg.method();
  r.outcome = msg.outcome();
  r.status = msg.status();
  r.reason = msg.reason();
  r.source_address = msg.source_address();
  r.user_agent = msg.user_agent();
  return r;
}

TimePoint Millis(TimePoint t) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(
      t == TimePoint{} ? SystemClock::Instance().Now() : t);
}

}  // namespace

Event MakeAuditEvent(AuditRecord record) {
  CheckRecord(record);
  const auto msg = ToMessage(record);
  Event e;
  e.id = record.id.empty() ? EventId::Generate().str() : std::move(record.id);
  e.subject = "dbaas." + record.source + ".audit.recorded";
  e.source = std::move(record.source);
  e.tenant_id = msg.tenant_id();
  e.time = Millis(record.time);
  e.request_id = std::move(record.request_id);
  e.payload_type = msg.GetTypeName();
  e.payload = msg.SerializeAsString();
  ValidateEvent(e);
  return e;
}

Event MakeAuditBatchEvent(std::span<const AuditRecord> records) {
  if (records.empty()) throw Error(ErrorCode::kInvalidArgument, "an audit batch needs records");
  v1::AuditRecordedBatch batch;
  for (const auto& record : records) {
    CheckRecord(record);
    if (record.source != records.front().source) {
      throw Error(ErrorCode::kInvalidArgument, "an audit batch holds one source's records");
    }
    auto* entry = batch.add_entries();
    entry->set_id(record.id.empty() ? EventId::Generate().str() : record.id);
    entry->set_time_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                           Millis(record.time).time_since_epoch())
                           .count());
    entry->set_request_id(record.request_id);
    *entry->mutable_record() = ToMessage(record);
  }
  Event e;
  e.id = EventId::Generate().str();
  e.subject = "dbaas." + records.front().source + ".audit.batch";
  e.source = records.front().source;
  e.time = Millis({});
  e.payload_type = batch.GetTypeName();
  e.payload = batch.SerializeAsString();
  ValidateEvent(e);
  return e;
}

std::vector<AuditRecord> AuditRecordsFromEvent(const Event& e) {
  v1::AuditRecordedBatch batch;
  if (e.payload_type != batch.GetTypeName()) return {AuditRecordFromEvent(e)};
  if (!batch.ParseFromString(e.payload)) {
    throw Error(ErrorCode::kInvalidArgument, "event " + e.id + " holds an unreadable audit batch");
  }
  std::vector<AuditRecord> out;
  out.reserve(static_cast<std::size_t>(batch.entries_size()));
  for (const auto& entry : batch.entries()) {
    auto r = FromMessage(entry.record());
    r.id = entry.id();
    r.time = TimePoint(std::chrono::milliseconds(entry.time_ms()));
    r.request_id = entry.request_id();
    r.source = e.source;
    out.push_back(std::move(r));
  }
  return out;
}

AuditRecord AuditRecordFromEvent(const Event& e) {
  v1::AuditRecorded msg;
  if (e.payload_type != msg.GetTypeName() || !msg.ParseFromString(e.payload)) {
    throw Error(ErrorCode::kInvalidArgument,
                "event " + e.id + " of type " + e.payload_type + " is not an audit record");
  }
  AuditRecord r = FromMessage(msg);
  r.id = e.id;
  r.time = e.time;
  r.source = e.source;
  r.request_id = e.request_id;
  return r;
}

}  // namespace dbaas::events

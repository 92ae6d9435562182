#include "domain/audit_chain.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/crypto.hpp"

namespace dbaas::access_control {
namespace {

std::int64_t UnixMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string ChainHash(const AuditEntry& entry, std::string_view prev_hash) {
  const auto& r = entry.record;
  // A JSON array in a fixed order: every field is delimited and escaped, so no two different
  // entries encode alike. Version 1 of the encoding.
  const nlohmann::json fields = {1,
                                 entry.seq,
                                 r.id,
                                 UnixMillis(r.time),
                                 UnixMillis(entry.recorded_at),
                                 r.source,
                                 r.request_id,
                                 r.category,
                                 r.actor_type,
                                 r.actor_id,
                                 r.actor_name,
                                 r.tenant_id,
                                 r.action,
                                 r.resource,
                                 r.method,
                                 r.outcome,
                                 r.status,
                                 r.reason,
                                 r.source_address,
                                 r.user_agent};
  std::string input(prev_hash);
  input += '\n';
  input += fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return crypto::Sha256Hex(input);
}

std::optional<ChainBreak> ChainVerifier::Feed(const AuditEntry& entry) {
  if (break_) return std::nullopt;
  const std::int64_t expected = last_seq_ + 1;
  std::optional<ChainBreak> problem;
  if (entry.seq != expected) {
    problem = ChainBreak{expected, "",
                         entry.seq > expected
                             ? "entries " + std::to_string(expected) + " to " +
                                   std::to_string(entry.seq - 1) + " are missing"
                             : "entry " + std::to_string(entry.seq) + " is out of order"};
  } else if (entry.prev_hash != last_hash_) {
    problem = ChainBreak{entry.seq, entry.record.id,
                         "prev_hash does not match the hash of entry " +
                             std::to_string(last_seq_)};
  } else if (ChainHash(entry, entry.prev_hash) != entry.hash) {
    problem = ChainBreak{entry.seq, entry.record.id,
                         "hash does not match the entry's contents (the entry was changed)"};
  }
  if (problem) {
    break_ = problem;
    return problem;
  }
  ++checked_;
  last_seq_ = entry.seq;
  last_hash_ = entry.hash;
  return std::nullopt;
}

}  // namespace dbaas::access_control

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dbaas/common/clock.hpp"
#include "dbaas/events/audit.hpp"

/// The audit log's hash chain: every entry stores the SHA-256 of the entry before it, so
/// changing, removing or re-ordering any stored entry breaks every link after it.
namespace dbaas::access_control {

/// One stored audit entry: the record, its place in the chain and the two hashes.
struct AuditEntry {
  /// 1, 2, 3 ... without gaps.
  std::int64_t seq = 0;
  events::AuditRecord record;
  /// When the audit log appended it (the record's own time is when it happened).
  TimePoint recorded_at{};
  /// Hex SHA-256 of the previous entry; kGenesisHash for the first.
  std::string prev_hash;
  std::string hash;
};

/// The prev_hash of entry 1.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// Hex SHA-256 over `prev_hash` and a canonical, unambiguous encoding of every field of
/// `entry` except the hashes (times as Unix milliseconds, so the stored form cannot drift).
std::string ChainHash(const AuditEntry& entry, std::string_view prev_hash);

/// The first place the chain does not hold.
struct ChainBreak {
  std::int64_t seq = 0;
  std::string id;
  /// What is wrong, e.g. "entry 41 is missing", "hash does not match the entry's contents".
  std::string problem;
};

/// Checks entries fed in ascending seq order, starting at seq 1. Not thread-safe.
class ChainVerifier {
 public:
  /// Checks `entry` against the previous one; returns the break (and stops checking: later
  /// calls return nullopt and change nothing) or nullopt when the link holds.
  std::optional<ChainBreak> Feed(const AuditEntry& entry);

  std::int64_t Checked() const noexcept { return checked_; }
  std::int64_t LastSeq() const noexcept { return last_seq_; }
  const std::string& LastHash() const noexcept { return last_hash_; }
  const std::optional<ChainBreak>& Break() const noexcept { return break_; }

 private:
  std::int64_t checked_ = 0;
  std::int64_t last_seq_ = 0;
  std::string last_hash_ = std::string(kGenesisHash);
  std::optional<ChainBreak> break_;
};

}  // namespace dbaas::access_control

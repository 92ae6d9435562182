#include <gtest/gtest.h>

#include <vector>

#include "domain/audit_chain.hpp"

namespace dbaas::access_control {
namespace {

std::vector<AuditEntry> Chain(int n) {
  std::vector<AuditEntry> entries;
  std::string prev(kGenesisHash);
  for (int i = 1; i <= n; ++i) {
    AuditEntry e;
    e.seq = i;
    e.record.id = "evt_" + std::to_string(i);
    e.record.source = "gateway";
    e.record.category = "api.call";
    e.record.outcome = "success";
    e.record.resource = "/v1/things/" + std::to_string(i);
    e.record.time = TimePoint(std::chrono::milliseconds(1'700'000'000'000 + i));
    e.recorded_at = e.record.time;
    e.prev_hash = prev;
    e.hash = ChainHash(e, prev);
    prev = e.hash;
    entries.push_back(e);
  }
  return entries;
}

std::optional<ChainBreak> VerifyAll(const std::vector<AuditEntry>& entries) {
  ChainVerifier verifier;
  for (const auto& e : entries) {
    if (auto broken = verifier.Feed(e)) return broken;
  }
  return std::nullopt;
}

TEST(AuditChain, AnIntactChainVerifies) {
  const auto entries = Chain(5);
  ChainVerifier verifier;
  for (const auto& e : entries) EXPECT_FALSE(verifier.Feed(e));
  EXPECT_EQ(verifier.Checked(), 5);
  EXPECT_EQ(verifier.LastHash(), entries.back().hash);
}

TEST(AuditChain, EveryFieldIsCoveredByTheHash) {
  const auto base = Chain(1)[0];
  std::vector<std::function<void(AuditEntry&)>> edits = {
      [](AuditEntry& e) { e.seq = 2; },
      [](AuditEntry& e) { e.record.id += "x"; },
      [](AuditEntry& e) { e.record.time += std::chrono::milliseconds(1); },
      [](AuditEntry& e) { e.recorded_at += std::chrono::milliseconds(1); },
      [](AuditEntry& e) { e.record.source = "other"; },
      [](AuditEntry& e) { e.record.request_id = "req"; },
      [](AuditEntry& e) { e.record.category = "auth.login"; },
      [](AuditEntry& e) { e.record.actor_type = "user"; },
      [](AuditEntry& e) { e.record.actor_id = "usr"; },
      [](AuditEntry& e) { e.record.actor_name = "ann"; },
      [](AuditEntry& e) { e.record.tenant_id = "ten"; },
      [](AuditEntry& e) { e.record.action = "a:b"; },
      [](AuditEntry& e) { e.record.resource += "/"; },
      [](AuditEntry& e) { e.record.method = "GET"; },
      [](AuditEntry& e) { e.record.outcome = "denied"; },
      [](AuditEntry& e) { e.record.status = 201; },
      [](AuditEntry& e) { e.record.reason = "r"; },
      [](AuditEntry& e) { e.record.source_address = "10.0.0.1"; },
      [](AuditEntry& e) { e.record.user_agent = "ua"; },
  };
  for (std::size_t i = 0; i < edits.size(); ++i) {
    auto changed = base;
    edits[i](changed);
    EXPECT_NE(ChainHash(changed, base.prev_hash), base.hash) << "field edit " << i;
  }
  EXPECT_NE(ChainHash(base, std::string(64, '1')), base.hash);
}

TEST(AuditChain, FieldBoundariesCannotBeShifted) {
  auto a = Chain(1)[0];
  auto b = a;
  a.record.actor_id = "ab";
  a.record.actor_name = "c";
  b.record.actor_id = "a";
  b.record.actor_name = "bc";
  EXPECT_NE(ChainHash(a, kGenesisHash), ChainHash(b, kGenesisHash));
}

TEST(AuditChain, ReportsTheFirstChangedRemovedOrReorderedEntry) {
  auto changed = Chain(5);
  changed[2].record.outcome = "denied";
  auto broken = VerifyAll(changed);
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 3);
  EXPECT_NE(broken->problem.find("changed"), std::string::npos);

  // Re-hashing the changed entry moves the break to the next link.
  changed[2].hash = ChainHash(changed[2], changed[2].prev_hash);
  broken = VerifyAll(changed);
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 4);
  EXPECT_NE(broken->problem.find("prev_hash"), std::string::npos);

  auto removed = Chain(5);
  removed.erase(removed.begin() + 1, removed.begin() + 3);
  broken = VerifyAll(removed);
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 2);
  EXPECT_EQ(broken->problem, "entries 2 to 3 are missing");

  auto first_gone = Chain(3);
  first_gone.erase(first_gone.begin());
  broken = VerifyAll(first_gone);
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->seq, 1);
}

TEST(AuditChain, StopsAtTheFirstBreak) {
  auto entries = Chain(4);
  entries[1].record.status = 500;
  entries[3].record.status = 500;
  ChainVerifier verifier;
  int breaks = 0;
  for (const auto& e : entries) breaks += verifier.Feed(e) ? 1 : 0;
  EXPECT_EQ(breaks, 1);
  EXPECT_EQ(verifier.Checked(), 1);
  EXPECT_EQ(verifier.Break()->seq, 2);
}

}  // namespace
}  // namespace dbaas::access_control

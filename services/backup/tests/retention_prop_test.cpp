#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>

#include "domain/retention.hpp"

namespace dbaas::backup {
namespace {

using std::chrono::hours;

const TimePoint kNow = *ParseRfc3339("2026-11-25T12:00:00Z");

std::string Segment(int n) {  // a PostgreSQL WAL segment name on timeline 1
  char buf[32];
  std::snprintf(buf, sizeof buf, "00000001%08X%08X", n / 256, n % 256);
  return buf;
}

struct World {
  std::vector<BackupFacts> backups;
  std::vector<ArchivedLog> logs;
  std::set<std::string> live;
};

rc::Gen<World> GenWorld() {
  return rc::gen::exec([] {
    World w;
    const int instances = *rc::gen::inRange(1, 4);
    for (int i = 0; i < instances; ++i) {
      const auto instance = "ins_" + std::to_string(i);
      if (*rc::gen::arbitrary<bool>()) w.live.insert(instance);
      const int count = *rc::gen::inRange(0, 8);
      for (int k = 0; k < count; ++k) {
        BackupFacts b;
        b.id = instance + "_bak_" + std::to_string(k);
        b.instance_id = instance;
        b.type = *rc::gen::element<std::string>("full", "logical");
        b.status = *rc::gen::element<std::string>("pending", "running", "available", "available",
                                                  "available", "failed", "corrupt");
        const int age_hours = *rc::gen::inRange(0, 24 * 40);
        if (b.status != "pending" && b.status != "running") {
          b.finished_at = kNow - hours(age_hours);
        }
        // Expiry anywhere from long past to the future; sometimes exactly now.
        const int offset = *rc::gen::inRange(-24 * 30, 24 * 30);
        b.expires_at = *rc::gen::arbitrary<bool>() ? kNow : kNow + hours(offset);
        if (b.type == "full" && *rc::gen::inRange(0, 5) != 0) {
          b.log_start = Segment(*rc::gen::inRange(0, 600));
        }
        w.backups.push_back(b);
      }
      const int log_count = *rc::gen::inRange(0, 30);
      for (int n = 0; n < log_count; ++n) {
        w.logs.push_back({instance, Segment(*rc::gen::inRange(0, 600))});
      }
      if (*rc::gen::arbitrary<bool>()) w.logs.push_back({instance, "00000002.history"});
    }
    return w;
  });
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Property 12: Backup Retention Compliance. A backup is kept for exactly its retention: never
// deleted before its expiry, always deleted once expired (the newest good backup of a live
// instance excepted, so no live instance is ever left without one), and a log is deleted exactly
// when no retained full backup needs it.
RC_GTEST_PROP(Retention, DeletesExactlyWhatExpiredAndNothingStillNeeded, ()) {
  const auto w = *GenWorld();
  const auto plan = PlanRetention(w.backups, w.logs, w.live, kNow);

  for (const auto& b : w.backups) {
    const bool active = b.status == "pending" || b.status == "running";
    const bool expired = b.expires_at && *b.expires_at <= kNow;
    const bool deleted = Contains(plan.delete_backups, b.id);
    if (!expired || active) {
      RC_ASSERT(!deleted);
      RC_ASSERT(!Contains(plan.kept_last_good, b.id));
      continue;
    }
    // Expired: deleted unless it is the newest available backup of a live instance.
    bool newest_good = false;
    if (b.status == "available" && w.live.contains(b.instance_id)) {
      newest_good = std::none_of(w.backups.begin(), w.backups.end(), [&](const BackupFacts& o) {
        return o.instance_id == b.instance_id && o.status == "available" && o.finished_at &&
               (*o.finished_at > *b.finished_at ||
                (*o.finished_at == *b.finished_at && o.id > b.id));
      });
    }
    RC_ASSERT(deleted != newest_good);
    RC_ASSERT(Contains(plan.kept_last_good, b.id) == newest_good);
  }

  // Every live instance that had a good backup still has one.
  for (const auto& instance : w.live) {
    const bool had = std::any_of(w.backups.begin(), w.backups.end(), [&](const BackupFacts& b) {
      return b.instance_id == instance && b.status == "available";
    });
    const bool has = std::any_of(w.backups.begin(), w.backups.end(), [&](const BackupFacts& b) {
      return b.instance_id == instance && b.status == "available" &&
             !Contains(plan.delete_backups, b.id);
    });
    RC_ASSERT(had == has);
  }

  // Logs: deleted exactly when older than every retained full backup that can use them.
  for (const auto& log : w.logs) {
    const bool deleted =
        std::any_of(plan.delete_logs.begin(), plan.delete_logs.end(), [&](const ArchivedLog& l) {
          return l.instance_id == log.instance_id && l.name == log.name;
        });
    const bool live = w.live.contains(log.instance_id);
    bool keep_all = false;
    std::optional<std::string> earliest;
    for (const auto& b : w.backups) {
      if (b.instance_id != log.instance_id || b.type != "full" ||
          Contains(plan.delete_backups, b.id)) {
        continue;
      }
      const bool active = b.status == "pending" || b.status == "running";
      if (!active && b.status != "available") continue;
      if (b.log_start.empty()) {
        keep_all = keep_all || active;
        continue;
      }
      if (!earliest || b.log_start < *earliest) earliest = b.log_start;
    }
    bool expected;
    if (log.name.ends_with(".history")) {
      expected = !live && !keep_all && !earliest;
    } else if (keep_all) {
      expected = false;
    } else if (!earliest) {
      expected = !live;
    } else {
      expected = log.name < *earliest;
    }
    RC_ASSERT(deleted == expected);
  }
}

TEST(Retention, ExampleTheLastGoodBackupOutlivesItsExpiry) {
  std::vector<BackupFacts> backups = {
      {"b1", "ins_a", "full", "available", kNow - hours(48), kNow - hours(1), Segment(10)},
      {"b2", "ins_a", "full", "available", kNow - hours(24), kNow - hours(1), Segment(20)},
      {"b3", "ins_a", "logical", "failed", kNow - hours(20), kNow - hours(1), ""},
  };
  std::vector<ArchivedLog> logs = {{"ins_a", Segment(9)}, {"ins_a", Segment(19)},
                                   {"ins_a", Segment(20)}, {"ins_a", Segment(21)}};
  const auto plan = PlanRetention(backups, logs, {"ins_a"}, kNow);
  EXPECT_EQ(plan.delete_backups, (std::vector<std::string>{"b1", "b3"}));
  EXPECT_EQ(plan.kept_last_good, (std::vector<std::string>{"b2"}));
  ASSERT_EQ(plan.delete_logs.size(), 2u);  // what only b1 needed
  EXPECT_EQ(plan.delete_logs[0].name, Segment(9));
  EXPECT_EQ(plan.delete_logs[1].name, Segment(19));

  // Once the instance is deleted, its last backup expires like any other, and its logs go.
  const auto gone = PlanRetention(backups, logs, {}, kNow);
  EXPECT_EQ(gone.delete_backups, (std::vector<std::string>{"b1", "b2", "b3"}));
  EXPECT_EQ(gone.delete_logs.size(), 4u);
}

}  // namespace
}  // namespace dbaas::backup

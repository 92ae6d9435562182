#include "domain/retention.hpp"

#include <map>

namespace dbaas::backup {
namespace {

bool Active(const BackupFacts& b) { return b.status == "pending" || b.status == "running"; }

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// WAL names carry extra suffixes (`<segment>.<offset>.backup`, `<segment>.partial`); the order
// is the segment's, the first 24 hex digits. Binlog names (`binlog.000012`) compare whole.
std::string OrderKey(const std::string& name) {
  if (name.size() > 24 && name[24] == '.') return name.substr(0, 24);
  return name;
}

}  // namespace

RetentionPlan PlanRetention(const std::vector<BackupFacts>& backups,
                            const std::vector<ArchivedLog>& logs,
                            const std::set<std::string>& live_instances, TimePoint now) {
  RetentionPlan plan;

  // The newest good backup of each live instance survives its expiry.
  std::map<std::string, const BackupFacts*> newest_good;
  for (const auto& b : backups) {
    if (b.status != "available" || !b.finished_at || !live_instances.contains(b.instance_id)) {
      continue;
    }
    auto& slot = newest_good[b.instance_id];
    if (slot == nullptr || *b.finished_at > *slot->finished_at ||
        (*b.finished_at == *slot->finished_at && b.id > slot->id)) {
      slot = &b;
    }
  }

  struct Anchor {
    bool keep_all = false;
    std::optional<std::string> earliest;  // smallest log_start among retained full backups
  };
  std::map<std::string, Anchor> anchors;
  for (const auto& b : backups) {
    const bool expired = b.expires_at && *b.expires_at <= now;
    bool retained = true;
    if (!Active(b) && expired) {
      const auto it = newest_good.find(b.instance_id);
      if (it != newest_good.end() && it->second == &b) {
        plan.kept_last_good.push_back(b.id);
      } else {
        plan.delete_backups.push_back(b.id);
        retained = false;
      }
    }
    if (!retained || b.type != "full") continue;
    if (!Active(b) && b.status != "available") continue;  // failed or corrupt: restores nothing
    auto& anchor = anchors[b.instance_id];
    if (b.log_start.empty()) {
      if (Active(b)) anchor.keep_all = true;
      continue;
    }
    const auto key = OrderKey(b.log_start);
    if (!anchor.earliest || key < *anchor.earliest) anchor.earliest = key;
  }

  for (const auto& log : logs) {
    const bool live = live_instances.contains(log.instance_id);
    if (live && EndsWith(log.name, ".history")) continue;
    const auto it = anchors.find(log.instance_id);
    if (it == anchors.end() || (!it->second.keep_all && !it->second.earliest)) {
      if (!live) plan.delete_logs.push_back(log);  // nothing left that could use it
      continue;
    }
    if (it->second.keep_all) continue;
    if (OrderKey(log.name) < *it->second.earliest) plan.delete_logs.push_back(log);
  }
  return plan;
}

}  // namespace dbaas::backup

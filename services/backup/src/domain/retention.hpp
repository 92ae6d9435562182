#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dbaas/common/clock.hpp"

namespace dbaas::backup {

/// What retention needs to know about one backup.
struct BackupFacts {
  std::string id;
  std::string instance_id;
  std::string type;    ///< "full" (physical; anchors point-in-time recovery) or "logical"
  std::string status;  ///< "pending", "running", "available", "failed", "corrupt"
  std::optional<TimePoint> finished_at;
  std::optional<TimePoint> expires_at;
  /// The first archived log (PostgreSQL WAL segment name, MariaDB binlog file name) a full
  /// backup needs to be restored to a later time; empty when not known yet.
  std::string log_start;
};

/// One archived WAL segment or binlog file.
struct ArchivedLog {
  std::string instance_id;
  std::string name;
};

/// What to delete now.
struct RetentionPlan {
  std::vector<std::string> delete_backups;      ///< backup ids
  std::vector<ArchivedLog> delete_logs;
  /// Expired backups kept because each is the newest good backup of a live instance.
  std::vector<std::string> kept_last_good;
};

/// Retention (Property 12): a backup is deleted once its expiry has passed, except the newest
/// `available` backup of an instance that still exists (an instance is never left without a
/// good backup); pending and running backups are never touched; failed and corrupt ones go when
/// they expire. An archived log is deleted when no retained or running full backup needs it:
/// its name sorts before the `log_start` of every such backup of its instance. An instance
/// with a running full backup whose start is not known yet, or with no full backup at all
/// while it lives, keeps all its logs; a deleted instance without retained backups keeps none.
/// Timeline history files (`*.history`) of live instances are always kept.
RetentionPlan PlanRetention(const std::vector<BackupFacts>& backups,
                            const std::vector<ArchivedLog>& logs,
                            const std::set<std::string>& live_instances, TimePoint now);

}  // namespace dbaas::backup

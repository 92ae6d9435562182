#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dbaas/common/clock.hpp"
#include "domain/backup.hpp"
#include "domain/cron_schedule.hpp"

namespace dbaas::backup {

/// What a new instance's schedule looks like (DBAAS_BACKUP_DEFAULT_*).
struct ScheduleDefaults {
  int retention_days = 7;
  std::string type = "logical";
};

/// The daily schedule every new instance gets (Property 10): once a day in UTC at a minute
/// inside 01:00-04:59 chosen by a hash of the instance id, so the instances' backups spread
/// over the window instead of all starting at once. Deterministic for an id.
Schedule DefaultSchedule(const std::string& instance_id, const std::string& tenant_id,
                         const ScheduleDefaults& defaults, TimePoint now);

/// The cron expression of DefaultSchedule: "M H * * *" with H in 1-4.
std::string DefaultCron(std::string_view instance_id);

/// One scheduler look at a schedule.
struct ScheduleStep {
  bool fire = false;   ///< enqueue one backup now
  TimePoint next_run;  ///< the new next_run_at
};

/// The missed-run rule: a schedule whose next run is due (at or before `now`) fires once and
/// its next run becomes the first firing after `now`, however many slots passed meanwhile, so
/// a service that was down over several slots takes one backup at start-up, not one per slot.
/// A schedule without a next run (just enabled) does not fire; it gets the first one after now.
ScheduleStep StepSchedule(const CronSchedule& cron, std::optional<TimePoint> next_run_at,
                          TimePoint now);

}  // namespace dbaas::backup

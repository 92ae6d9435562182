#include "domain/schedule_policy.hpp"

#include <cstdint>

namespace dbaas::backup {

std::string DefaultCron(std::string_view instance_id) {
  // FNV-1a: stable across processes and platforms, unlike std::hash.
  std::uint64_t h = 14695981039346656037ULL;
  for (const unsigned char c : instance_id) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  const auto minute_of_window = static_cast<int>(h % (4 * 60));  // 01:00 .. 04:59
  const int hour = 1 + minute_of_window / 60;
  const int minute = minute_of_window % 60;
  return std::to_string(minute) + " " + std::to_string(hour) + " * * *";
}

Schedule DefaultSchedule(const std::string& instance_id, const std::string& tenant_id,
                         const ScheduleDefaults& defaults, TimePoint now) {
  Schedule s;
  s.instance_id = instance_id;
  s.tenant_id = tenant_id;
  s.cron = DefaultCron(instance_id);
  s.time_zone = "UTC";
  s.retention_days = defaults.retention_days;
  s.type = defaults.type;
  s.enabled = true;
  s.next_run_at = CronSchedule::Parse(s.cron, s.time_zone).NextAfter(now);
  return s;
}

ScheduleStep StepSchedule(const CronSchedule& cron, std::optional<TimePoint> next_run_at,
                          TimePoint now) {
  ScheduleStep step;
  step.fire = next_run_at && *next_run_at <= now;
  step.next_run = (next_run_at && *next_run_at > now) ? *next_run_at : cron.NextAfter(now);
  return step;
}

}  // namespace dbaas::backup

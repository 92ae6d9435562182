#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "audit_database.hpp"
#include "dbaas/service/service_host.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::access_control {
service::Definition Definition();
}

namespace dbaas::access_control::test {

/// The real access-control, in-process and serving on a free port, for tests of the services
/// behind it: its own database and the audit database in `pg`, the bootstrap admin with
/// `admin_password`, login throttling per address lifted (tests fail logins on purpose), and
/// `settings` (DBAAS_NATS_URL, DBAAS_STATE_DIR ... and any extras) on top.
inline std::unique_ptr<service::Host> StartAccessControl(
    testing::PostgresServer& pg, std::map<std::string, std::string> settings,
    const std::string& admin_password) {
  std::map<std::string, std::string> env{
      {"DBAAS_DATABASE_URL", pg.CreateDatabase("access_control")},
      {"DBAAS_ADMIN_PASSWORD", admin_password},
      {"DBAAS_LOGIN_SOURCE_MAX_FAILURES", "10000"}};
  for (auto& [k, v] : AuditDatabaseSettings(pg)) env[k] = v;
  for (auto& [k, v] : settings) env[k] = v;
  auto host = std::make_unique<service::Host>(
      Definition(), [env = std::move(env)](std::string_view name) -> std::optional<std::string> {
        auto it = env.find(std::string(name));
        if (it == env.end()) return std::nullopt;
        return it->second;
      });
  host->Start();
  host->RunInBackground();
  return host;
}

}  // namespace dbaas::access_control::test

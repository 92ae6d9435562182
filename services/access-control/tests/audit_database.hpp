#pragma once

#include <map>
#include <string>

#include "dbaas/testing/servers.hpp"

namespace dbaas::access_control::test {

/// Creates access-control's audit database in `pg` as deploy/local/up does (an owning role and
/// database, and the login role dbaas_audit_writer, the only other one allowed to connect) and
/// returns the settings that point access-control at it.
inline std::map<std::string, std::string> AuditDatabaseSettings(testing::PostgresServer& pg) {
  pg.Query("CREATE ROLE dbaas_audit_writer LOGIN");
  const std::string owner = pg.CreateDatabase("dbaas_audit");
  pg.Query("REVOKE CONNECT, TEMPORARY ON DATABASE dbaas_audit FROM PUBLIC");
  pg.Query("GRANT CONNECT ON DATABASE dbaas_audit TO dbaas_audit_writer");
  std::string writer = owner;
  const std::string who = "//dbaas_audit@";
  writer.replace(writer.find(who), who.size(), "//dbaas_audit_writer@");
  return {{"DBAAS_AUDIT_DATABASE_URL", writer}, {"DBAAS_AUDIT_MIGRATION_DATABASE_URL", owner}};
}

}  // namespace dbaas::access_control::test

#include <gtest/gtest.h>

#include <fstream>

#include "admin_itest_util.hpp"
#include "dbaas/engines/admin.hpp"
#include "dbaas/engines/uri.hpp"
#include "dbaas/testing/programs.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::engines {
namespace {

using test::CodeOf;

class PostgresAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_ = std::make_unique<dbaas::testing::PostgresServer>();
    // The fixture trusts every local login; make customer users prove their password.
    {
      std::ofstream hba(pg_->DataDir() / "pg_hba.conf", std::ios::trunc);
      hba << "local all all trust\n"
             "host all postgres 127.0.0.1/32 trust\n"
             "host all all 127.0.0.1/32 scram-sha-256\n";
    }
    pg_->Query("SELECT pg_reload_conf()");
    AdminOptions options;
    options.port = pg_->Port();
    options.user = "postgres";
    admin_ = ConnectPostgresAdmin(options);
  }

  /// Runs `sql` with psql as `user` through a URI built by ConnectionUri.
  dbaas::testing::ProgramResult AsUser(const std::string& user, const std::string& password,
                                       const std::string& db, const std::string& sql) {
    const auto uri = ConnectionUri(Engine::kPostgresql,
                                   {"127.0.0.1", pg_->Port(), user, password, db, "disable"});
    return dbaas::testing::RunProgram(
        {"/usr/lib/postgresql/15/bin/psql", uri, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql},
        scratch_.Path());
  }

  test::ScratchDir scratch_;
  std::unique_ptr<dbaas::testing::PostgresServer> pg_;
  std::unique_ptr<EngineAdmin> admin_;
};

TEST_F(PostgresAdminTest, ReportsTheServerVersion) {
  EXPECT_EQ(admin_->ServerVersion().rfind("15.", 0), 0U) << admin_->ServerVersion();
}

TEST_F(PostgresAdminTest, UserWithATableGrantReadsOnlyThatTable) {
  const auto password = admin_->CreateUser("app_user");
  admin_->CreateDatabase({"shop", "", "UTF8", "C"});
  pg_->Query("CREATE TABLE orders (id int); INSERT INTO orders VALUES (1), (2);"
             "CREATE TABLE secrets (x text); INSERT INTO secrets VALUES ('s');", "shop");
  admin_->Grant({GrantLevel::kDatabase, "shop", "", "", {"connect"}, "app_user"});
  admin_->Grant({GrantLevel::kSchema, "shop", "public", "", {"USAGE"}, "app_user"});
  admin_->Grant({GrantLevel::kTable, "shop", "public", "orders", {"SELECT"}, "app_user"});

  const auto ok = AsUser("app_user", password, "shop", "SELECT count(*) FROM orders");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "2\n");
  const auto denied = AsUser("app_user", password, "shop", "SELECT * FROM secrets");
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_NE(denied.err.find("permission denied"), std::string::npos) << denied.err;

  admin_->Revoke({GrantLevel::kTable, "shop", "public", "orders", {"SELECT"}, "app_user"});
  EXPECT_NE(AsUser("app_user", password, "shop", "SELECT count(*) FROM orders").exit_code, 0);

  const auto dbs = admin_->ListDatabases();
  ASSERT_EQ(dbs.size(), 1U);
  EXPECT_EQ(dbs[0].name, "shop");
  EXPECT_EQ(dbs[0].encoding, "UTF8");
  EXPECT_EQ(dbs[0].collation, "C");
  EXPECT_EQ(admin_->ListUsers(), std::vector<std::string>{"app_user"});
}

TEST_F(PostgresAdminTest, RotatedPasswordReplacesTheOldOne) {
  const auto old_password = admin_->CreateUser("rotor", std::string("first-Password-1"));
  EXPECT_EQ(old_password, "first-Password-1");
  EXPECT_EQ(AsUser("rotor", old_password, "postgres", "SELECT 1").exit_code, 0);
  const auto new_password = admin_->RotatePassword("rotor");
  EXPECT_NE(new_password, old_password);
  const auto old_login = AsUser("rotor", old_password, "postgres", "SELECT 1");
  EXPECT_NE(old_login.exit_code, 0);
  EXPECT_NE(old_login.err.find("password authentication failed"), std::string::npos) << old_login.err;
  EXPECT_EQ(AsUser("rotor", new_password, "postgres", "SELECT 1").exit_code, 0);
  // The server never saw the password in clear: only a SCRAM verifier is stored.
  EXPECT_EQ(pg_->Query("SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = 'rotor'"),
            "SCRAM-SHA-256$\n");
}

TEST_F(PostgresAdminTest, RolesCarryGrantsToTheirMembers) {
  const auto password = admin_->CreateUser("member");
  admin_->CreateRole("readers");
  admin_->CreateDatabase({"lib", "", "", ""});
  pg_->Query("CREATE TABLE books (t text); INSERT INTO books VALUES ('x');", "lib");
  admin_->Grant({GrantLevel::kTable, "lib", "", "books", {"select"}, "readers"});
  EXPECT_NE(AsUser("member", password, "lib", "SELECT * FROM books").exit_code, 0);
  admin_->GrantRole("readers", "member");
  EXPECT_EQ(AsUser("member", password, "lib", "SELECT * FROM books").out, "x\n");
  EXPECT_EQ(admin_->ListRoles(), std::vector<std::string>{"readers"});
  admin_->RevokeRole("readers", "member");
  EXPECT_NE(AsUser("member", password, "lib", "SELECT * FROM books").exit_code, 0);
  admin_->DropRole("readers");
  EXPECT_TRUE(admin_->ListRoles().empty());
}

TEST_F(PostgresAdminTest, DropsUsersWithGrantsAndDatabases) {
  const auto password = admin_->CreateUser("leaver");
  admin_->CreateDatabase({"gone", "leaver", "", ""});
  pg_->Query("CREATE TABLE t (x int)", "gone");
  admin_->Grant({GrantLevel::kTable, "gone", "public", "t", {"SELECT", "INSERT"}, "leaver"});
  admin_->DropUser("leaver");
  EXPECT_TRUE(admin_->ListUsers().empty());
  EXPECT_NE(AsUser("leaver", password, "postgres", "SELECT 1").exit_code, 0);
  admin_->DropDatabase("gone");
  EXPECT_TRUE(admin_->ListDatabases().empty());
  EXPECT_EQ(CodeOf([&] { admin_->DropDatabase("gone"); }), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf([&] { admin_->DropUser("leaver"); }), ErrorCode::kNotFound);
}

TEST_F(PostgresAdminTest, MapsServerErrorsToCodes) {
  admin_->CreateUser("dup");
  admin_->CreateDatabase({"dupdb", "", "", ""});
  EXPECT_EQ(CodeOf([&] { admin_->CreateUser("dup"); }), ErrorCode::kAlreadyExists);
  EXPECT_EQ(CodeOf([&] { admin_->CreateRole("dup"); }), ErrorCode::kAlreadyExists);
  EXPECT_EQ(CodeOf([&] { admin_->CreateDatabase({"dupdb", "", "", ""}); }), ErrorCode::kAlreadyExists);
  EXPECT_EQ(CodeOf([&] { admin_->CreateDatabase({"other", "nobody", "", ""}); }), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf([&] { admin_->CreateDatabase({"other", "", "NOT_AN_ENCODING", ""}); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { admin_->Grant({GrantLevel::kTable, "dupdb", "", "missing", {"SELECT"}, "dup"}); }),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf([&] { admin_->Grant({GrantLevel::kTable, "nodb", "", "t", {"SELECT"}, "dup"}); }),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf([&] { admin_->Grant({GrantLevel::kDatabase, "dupdb", "", "", {"SUPERUSER"}, "dup"}); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { admin_->RotatePassword("nobody"); }), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf([&] { admin_->CreateUser("weak", std::string("short")); }), ErrorCode::kInvalidArgument);
  AdminOptions unreachable;
  unreachable.port = dbaas::testing::FreePort();
  unreachable.user = "postgres";
  unreachable.connect_timeout = std::chrono::seconds(2);
  EXPECT_EQ(CodeOf([&] { ConnectPostgresAdmin(unreachable); }), ErrorCode::kUnavailable);
}

TEST_F(PostgresAdminTest, HostileNamesAreRejectedAndNothingIsCreated) {
  const auto databases = pg_->Query("SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database");
  const auto roles = pg_->Query("SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles");
  for (const auto& name : test::HostileNames()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(CodeOf([&] { admin_->CreateDatabase({name, "", "", ""}); }), ErrorCode::kInvalidArgument);
    EXPECT_EQ(CodeOf([&] { admin_->CreateUser(name); }), ErrorCode::kInvalidArgument);
    EXPECT_EQ(CodeOf([&] { admin_->CreateRole(name); }), ErrorCode::kInvalidArgument);
    EXPECT_EQ(CodeOf([&] { admin_->DropDatabase(name); }), ErrorCode::kInvalidArgument);
    EXPECT_EQ(CodeOf([&] { admin_->DropUser(name); }), ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(CodeOf([&] { admin_->CreateDatabase({"fine", "", "UTF8' TEMPLATE template1 --", ""}); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(pg_->Query("SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database"), databases);
  EXPECT_EQ(pg_->Query("SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles"), roles);
}

TEST_F(PostgresAdminTest, TableNamesAreQuotedNotInterpreted) {
  admin_->CreateUser("quoted");
  admin_->CreateDatabase({"q", "", "", ""});
  pg_->Query("CREATE TABLE \"Odd \"\"name\"\"; x\" (v int)", "q");
  EXPECT_NO_THROW(admin_->Grant({GrantLevel::kTable, "q", "public", "Odd \"name\"; x", {"SELECT"}, "quoted"}));
  EXPECT_EQ(pg_->Query("SELECT has_table_privilege('quoted', '\"Odd \"\"name\"\"; x\"', 'SELECT')", "q"), "t\n");
}

}  // namespace
}  // namespace dbaas::engines

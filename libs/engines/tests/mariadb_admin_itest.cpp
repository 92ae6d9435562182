#include <gtest/gtest.h>

#include "admin_itest_util.hpp"
#include "dbaas/engines/admin.hpp"
#include "dbaas/testing/programs.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::engines {
namespace {

using test::CodeOf;

class MariaDbAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<dbaas::testing::MariaDbServer>();
    AdminOptions options;
    options.port = db_->Port();
    options.user = "root";
    admin_ = ConnectMariaDbAdmin(options);
  }

  /// Runs `sql` with the mariadb client as `user` over TCP.
  dbaas::testing::ProgramResult AsUser(const std::string& user, const std::string& password,
                                       const std::string& db, const std::string& sql) {
    std::vector<std::string> args = {"mariadb", "--no-defaults", "--protocol=TCP", "--host=127.0.0.1",
                                     "--port=" + std::to_string(db_->Port()), "--user=" + user,
                                     "--password=" + password, "--batch", "--skip-column-names"};
    if (!db.empty()) args.push_back("--database=" + db);
    args.push_back("--execute=" + sql);
    return dbaas::testing::RunProgram(args, scratch_.Path());
  }

  test::ScratchDir scratch_;
  std::unique_ptr<dbaas::testing::MariaDbServer> db_;
  std::unique_ptr<EngineAdmin> admin_;
};

TEST_F(MariaDbAdminTest, ReportsTheRealServerVersion) {
  EXPECT_NE(admin_->ServerVersion().find("10.11."), std::string::npos) << admin_->ServerVersion();
  EXPECT_NE(admin_->ServerVersion().find("MariaDB"), std::string::npos);
}

TEST_F(MariaDbAdminTest, UserWithATableGrantReadsOnlyThatTable) {
  const auto password = admin_->CreateUser("app_user");
  admin_->CreateDatabase({"shop", "", "utf8mb4", "utf8mb4_unicode_ci"});
  db_->Query("CREATE TABLE shop.orders (id int); INSERT INTO shop.orders VALUES (1), (2);"
             "CREATE TABLE shop.secrets (x text); INSERT INTO shop.secrets VALUES ('s');");
  admin_->Grant({GrantLevel::kTable, "shop", "", "orders", {"select"}, "app_user"});

  const auto ok = AsUser("app_user", password, "shop", "SELECT count(*) FROM orders");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "2\n");
  const auto denied = AsUser("app_user", password, "shop", "SELECT * FROM secrets");
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_NE(denied.err.find("denied"), std::string::npos) << denied.err;

  admin_->Revoke({GrantLevel::kTable, "shop", "", "orders", {"SELECT"}, "app_user"});
  EXPECT_NE(AsUser("app_user", password, "shop", "SELECT count(*) FROM orders").exit_code, 0);

  const auto dbs = admin_->ListDatabases();
  ASSERT_EQ(dbs.size(), 1U);
  EXPECT_EQ(dbs[0].name, "shop");
  EXPECT_EQ(dbs[0].encoding, "utf8mb4");
  EXPECT_EQ(dbs[0].collation, "utf8mb4_unicode_ci");
  EXPECT_EQ(admin_->ListUsers(), std::vector<std::string>{"app_user"});
}

TEST_F(MariaDbAdminTest, OwnerGetsTheWholeDatabase) {
  const auto password = admin_->CreateUser("owner");
  admin_->CreateDatabase({"owned", "owner", "", ""});
  const auto r = AsUser("owner", password, "owned", "CREATE TABLE t (x int); INSERT INTO t VALUES (7); SELECT x FROM t");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "7\n");
  EXPECT_EQ(CodeOf([&] { admin_->CreateDatabase({"orphan", "nobody", "", ""}); }), ErrorCode::kNotFound);
  for (const auto& d : admin_->ListDatabases()) EXPECT_NE(d.name, "orphan");
}

TEST_F(MariaDbAdminTest, RotatedPasswordReplacesTheOldOne) {
  const auto old_password = admin_->CreateUser("rotor", std::string("first-Password-1"));
  EXPECT_EQ(AsUser("rotor", old_password, "", "SELECT 1").exit_code, 0);
  const auto new_password = admin_->RotatePassword("rotor");
  const auto old_login = AsUser("rotor", old_password, "", "SELECT 1");
  EXPECT_NE(old_login.exit_code, 0);
  EXPECT_NE(old_login.err.find("Access denied"), std::string::npos) << old_login.err;
  EXPECT_EQ(AsUser("rotor", new_password, "", "SELECT 1").exit_code, 0);
}

TEST_F(MariaDbAdminTest, RolesCarryGrantsToTheirMembers) {
  const auto password = admin_->CreateUser("member");
  admin_->CreateRole("readers");
  admin_->CreateDatabase({"lib", "", "", ""});
  db_->Query("CREATE TABLE lib.books (t text); INSERT INTO lib.books VALUES ('x');");
  GrantSpec grant{GrantLevel::kDatabase, "lib", "", "", {"SELECT"}, "readers", true};
  admin_->Grant(grant);
  EXPECT_NE(AsUser("member", password, "lib", "SELECT * FROM books").exit_code, 0);
  admin_->GrantRole("readers", "member");
  EXPECT_EQ(AsUser("member", password, "lib", "SELECT * FROM books").out, "x\n");
  EXPECT_EQ(admin_->ListRoles(), std::vector<std::string>{"readers"});
  admin_->RevokeRole("readers", "member");
  EXPECT_NE(AsUser("member", password, "lib", "SELECT * FROM books").exit_code, 0);
  admin_->DropRole("readers");
  EXPECT_TRUE(admin_->ListRoles().empty());
}

TEST_F(MariaDbAdminTest, DropsUsersAndDatabases) {
  const auto password = admin_->CreateUser("leaver");
  admin_->CreateDatabase({"gone", "leaver", "", ""});
  admin_->DropUser("leaver");
  EXPECT_TRUE(admin_->ListUsers().empty());
  EXPECT_NE(AsUser("leaver", password, "", "SELECT 1").exit_code, 0);
  admin_->DropDatabase("gone");
  EXPECT_TRUE(admin_->ListDatabases().empty());
  EXPECT_EQ(CodeOf([&] { admin_->DropDatabase("gone"); }), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf([&] { admin_->DropUser("leaver"); }), ErrorCode::kNotFound);
}

TEST_F(MariaDbAdminTest, MapsServerErrorsToCodes) {
  admin_->CreateUser("dup");
  admin_->CreateDatabase({"dupdb", "", "", ""});
  EXPECT_EQ(CodeOf([&] { admin_->CreateUser("dup"); }), ErrorCode::kAlreadyExists);
  EXPECT_EQ(CodeOf([&] { admin_->CreateDatabase({"dupdb", "", "", ""}); }), ErrorCode::kAlreadyExists);
  EXPECT_EQ(CodeOf([&] { admin_->CreateDatabase({"other", "", "klingon", ""}); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { admin_->CreateDatabase({"other", "", "latin1", "utf8mb4_bin"}); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { admin_->Grant({GrantLevel::kTable, "dupdb", "", "missing", {"SELECT"}, "dup"}); }),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf([&] { admin_->Grant({GrantLevel::kDatabase, "nodb", "", "", {"SELECT"}, "dup"}); }),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf([&] { admin_->Grant({GrantLevel::kDatabase, "dupdb", "", "", {"SELECT"}, "nobody"}); }),
            ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf([&] { admin_->Grant({GrantLevel::kDatabase, "dupdb", "", "", {"SUPER"}, "dup"}); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { admin_->RotatePassword("nobody"); }), ErrorCode::kNotFound);
  AdminOptions unreachable;
  unreachable.port = dbaas::testing::FreePort();
  unreachable.user = "root";
  unreachable.connect_timeout = std::chrono::seconds(2);
  EXPECT_EQ(CodeOf([&] { ConnectMariaDbAdmin(unreachable); }), ErrorCode::kUnavailable);
}

TEST_F(MariaDbAdminTest, HostileNamesAreRejectedAndNothingIsCreated) {
  const auto databases = db_->Query("SELECT GROUP_CONCAT(SCHEMA_NAME ORDER BY 1) FROM information_schema.SCHEMATA");
  const auto users = db_->Query("SELECT GROUP_CONCAT(CONCAT(User, '@', Host) ORDER BY 1) FROM mysql.user");
  for (const auto& name : test::HostileNames()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(CodeOf([&] { admin_->CreateDatabase({name, "", "", ""}); }), ErrorCode::kInvalidArgument);
    EXPECT_EQ(CodeOf([&] { admin_->CreateUser(name); }), ErrorCode::kInvalidArgument);
    EXPECT_EQ(CodeOf([&] { admin_->CreateRole(name); }), ErrorCode::kInvalidArgument);
    EXPECT_EQ(CodeOf([&] { admin_->DropDatabase(name); }), ErrorCode::kInvalidArgument);
    EXPECT_EQ(CodeOf([&] { admin_->DropUser(name); }), ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(CodeOf([&] { admin_->CreateDatabase({std::string(65, 'd'), "", "", ""}); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf([&] { admin_->CreateDatabase({"fine", "", "utf8mb4' --", ""}); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(db_->Query("SELECT GROUP_CONCAT(SCHEMA_NAME ORDER BY 1) FROM information_schema.SCHEMATA"), databases);
  EXPECT_EQ(db_->Query("SELECT GROUP_CONCAT(CONCAT(User, '@', Host) ORDER BY 1) FROM mysql.user"), users);
}

TEST_F(MariaDbAdminTest, TableNamesAreQuotedNotInterpreted) {
  admin_->CreateUser("quoted");
  admin_->CreateDatabase({"q", "", "", ""});
  db_->Query("CREATE TABLE q.`odd``name; x` (v int)");
  EXPECT_NO_THROW(admin_->Grant({GrantLevel::kTable, "q", "", "odd`name; x", {"SELECT"}, "quoted"}));
  EXPECT_NE(db_->Query("SHOW GRANTS FOR 'quoted'@'%'").find("`odd``name; x`"), std::string::npos);
}

}  // namespace
}  // namespace dbaas::engines

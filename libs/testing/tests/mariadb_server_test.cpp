#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <fstream>

#include "dbaas/testing/servers.hpp"

namespace dbaas::testing {
namespace {

int PidFromFile(const std::filesystem::path& file) {
  std::ifstream in(file);
  int pid = -1;
  in >> pid;
  return pid;
}

bool ProcessGone(int pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

TEST(MariaDbServer, StartsAnswersRestartsAndCleansUp) {
  std::filesystem::path dir;
  int pid = -1;
  {
    MariaDbServer db;
    dir = std::filesystem::path(db.SocketPath()).parent_path();
    pid = PidFromFile(dir / "mariadbd.pid");
    ASSERT_GT(pid, 0);
    EXPECT_NE(db.Query("select version()").find("MariaDB"), std::string::npos);

    db.Query("create database app; create table app.kept (v varchar(32)); "
             "insert into app.kept values ('before restart')");
    const auto port = db.Port();
    db.Restart();
    EXPECT_EQ(db.Port(), port);
    EXPECT_EQ(db.Query("select v from app.kept"), "before restart\n");
    pid = PidFromFile(dir / "mariadbd.pid");
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_TRUE(ProcessGone(pid));
}

TEST(MariaDbServer, QueryErrorsThrowWithTheServerMessage) {
  MariaDbServer db;
  try {
    db.Query("select * from no_such_db.no_such_table");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_db"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dbaas::testing

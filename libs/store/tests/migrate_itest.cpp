#include <sys/wait.h>
#include <unistd.h>

#include <latch>
#include <thread>
#include <vector>

#include "store_fixture.hpp"

namespace dbaas::store {
namespace {

const Migration kMigrations[] = {
    {1, "0001_create_widgets",
     "CREATE TABLE widgets (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE);\n"
     "CREATE TABLE ddl_runs (version int NOT NULL);\n"
     "INSERT INTO ddl_runs VALUES (1);"},
    {2, "0002_add_note", "ALTER TABLE widgets ADD COLUMN note text; INSERT INTO ddl_runs VALUES (2);"},
    {5, "0005_index", "CREATE INDEX widgets_note ON widgets (note); INSERT INTO ddl_runs VALUES (5);"},
};

using MigrateTest = StoreTest;

void ExpectEachVersionRecordedOnce(Pool& pool, const std::string& component) {
  const auto rows = pool.Exec(
      "SELECT version, count(*) AS n, min(name) AS name, min(checksum) AS checksum "
      "FROM schema_migrations WHERE component = $1 GROUP BY version ORDER BY version",
      {component});
  ASSERT_EQ(rows.Size(), 3u);
  for (std::size_t i = 0; i < rows.Size(); ++i) {
    EXPECT_EQ(rows[i].GetInt("version"), kMigrations[i].version);
    EXPECT_EQ(rows[i].GetInt("n"), 1);
    EXPECT_EQ(rows[i].Get("name"), kMigrations[i].name);
    EXPECT_EQ(rows[i].Get("checksum").size(), 64u);
  }
  const auto runs = pool.Exec("SELECT version FROM ddl_runs ORDER BY version");
  ASSERT_EQ(runs.Size(), 3u) << "every migration's SQL must run exactly once";
}

TEST_F(MigrateTest, AppliesPendingMigrationsOnceAndThenNothing) {
  Pool pool(Config());
  EXPECT_EQ(Migrate(pool, "widgets", std::span(kMigrations).first(2)), 2);
  EXPECT_EQ(Migrate(pool, "widgets", kMigrations), 1);
  EXPECT_EQ(Migrate(pool, "widgets", kMigrations), 0);
  ExpectEachVersionRecordedOnce(pool, "widgets");
  const auto applied_at = pool.Exec(
      "SELECT bool_and(applied_at <= now()) AS ok FROM schema_migrations WHERE component = $1",
      {"widgets"});
  EXPECT_TRUE(applied_at[0].GetBool("ok"));
}

TEST_F(MigrateTest, ConcurrentStartsInThreadsApplyEachVersionOnce) {
  constexpr int kStarters = 4;
  std::latch start(kStarters);
  std::vector<int> applied(kStarters, -1);
  std::vector<std::string> errors(kStarters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStarters; ++i) {
    threads.emplace_back([&, i] {
      try {
        Pool pool(Config("migrator-" + std::to_string(i), 2));
        start.arrive_and_wait();
        applied[i] = Migrate(pool, "widgets", kMigrations);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  int total = 0;
  for (int i = 0; i < kStarters; ++i) {
    EXPECT_EQ(errors[i], "") << "starter " << i;
    total += applied[i];
  }
  EXPECT_EQ(total, 3);
  Pool pool(Config());
  ExpectEachVersionRecordedOnce(pool, "widgets");
}

TEST_F(MigrateTest, ConcurrentStartsInProcessesApplyEachVersionOnce) {
  constexpr int kStarters = 2;
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kStarters; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(go[1]);
      int code = 100;
      try {
        Pool pool(Config("process-migrator", 2));
        char c;
        // Both processes block here until the parent closes the pipe, then race.
        while (::read(go[0], &c, 1) > 0) {
        }
        code = Migrate(pool, "widgets", kMigrations);
      } catch (...) {
        code = 101;
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);
  int total = 0;
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    const int code = WEXITSTATUS(status);
    ASSERT_LE(code, 3) << "a migrating process failed";
    total += code;
  }
  EXPECT_EQ(total, 3);
  Pool pool(Config());
  ExpectEachVersionRecordedOnce(pool, "widgets");
}

TEST_F(MigrateTest, ChangedChecksumOfAnAppliedMigrationIsRefused) {
  Pool pool(Config());
  ASSERT_EQ(Migrate(pool, "widgets", kMigrations), 3);
  std::vector<Migration> edited(std::begin(kMigrations), std::end(kMigrations));
  edited[1].sql = "ALTER TABLE widgets ADD COLUMN note varchar(10); INSERT INTO ddl_runs VALUES (2);";
  edited.push_back({6, "0006_more", "CREATE TABLE more (x int);"});
  const Error e = CaptureError([&] { Migrate(pool, "widgets", edited); });
  EXPECT_EQ(e.Code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(std::string(e.what()).find("0002_add_note"), std::string::npos) << e.what();
  EXPECT_EQ(pool.Exec("SELECT to_regclass('more') IS NULL AS absent")[0].GetBool("absent"), true)
      << "nothing after a refused migration set may be applied";
}

TEST_F(MigrateTest, ComponentsAreTrackedSeparately) {
  Pool pool(Config());
  const Migration other[] = {{1, "0001_other", "CREATE TABLE other_things (x int);"}};
  EXPECT_EQ(Migrate(pool, "widgets", kMigrations), 3);
  EXPECT_EQ(Migrate(pool, "other", other), 1);
  EXPECT_EQ(pool.Exec("SELECT count(*) AS n FROM schema_migrations")[0].GetInt("n"), 4);
}

TEST_F(MigrateTest, FailedMigrationIsNotRecordedAndLeavesNoTrace) {
  Pool pool(Config());
  const Migration broken[] = {
      {1, "0001_ok", "CREATE TABLE ok_table (x int);"},
      {2, "0002_broken", "CREATE TABLE half_done (x int); SELECT no_such_function();"},
  };
  const Error e = CaptureError([&] { Migrate(pool, "broken", broken); });
  EXPECT_EQ(e.Code(), ErrorCode::kInternal);
  const auto rows = pool.Exec(
      "SELECT version FROM schema_migrations WHERE component = 'broken' ORDER BY version");
  ASSERT_EQ(rows.Size(), 1u);
  EXPECT_EQ(rows[0].GetInt("version"), 1);
  EXPECT_TRUE(pool.Exec("SELECT to_regclass('half_done') IS NULL AS absent")[0].GetBool("absent"));
}

TEST_F(MigrateTest, VersionsMustAscend) {
  Pool pool(Config());
  const Migration unordered[] = {{2, "0002_b", "SELECT 1;"}, {1, "0001_a", "SELECT 1;"}};
  EXPECT_EQ(CaptureError([&] { Migrate(pool, "x", unordered); }).Code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace dbaas::store

#include <atomic>
#include <latch>
#include <thread>
#include <vector>

#include "store_fixture.hpp"

namespace dbaas::store {
namespace {

using PoolTest = StoreTest;

void CreateWidgets(Pool& pool) {
  pool.Exec(
      "CREATE TABLE widgets (id bigserial PRIMARY KEY, name text NOT NULL "
      "CONSTRAINT widgets_name_key UNIQUE, qty int NOT NULL DEFAULT 0 CONSTRAINT widgets_qty_check "
      "CHECK (qty >= 0), note text)");
  pool.Exec(
      "CREATE TABLE parts (id bigserial PRIMARY KEY, widget_id bigint NOT NULL "
      "CONSTRAINT parts_widget_fk REFERENCES widgets (id))");
}

std::int64_t CountWidgets(Pool& pool) {
  return pool.Exec("SELECT count(*) AS n FROM widgets")[0].GetInt("n");
}

TEST_F(PoolTest, NullsAndParametersRoundTripVerbatim) {
  Pool pool(Config());
  CreateWidgets(pool);
  const std::vector<std::string> tricky = {
      "Robert'); DROP TABLE widgets;--",
      "' OR '1'='1",
      "$1 $2 \\x00 \\' \"quoted\"",
      "line\nbreak\ttab",
      "ünïcødé ✓ 🚀",
      "",
  };
  for (std::size_t i = 0; i < tricky.size(); ++i) {
    const auto r = pool.Exec("INSERT INTO widgets (name, note) VALUES ($1, $2) RETURNING id",
                             {"w" + std::to_string(i), tricky[i]});
    EXPECT_EQ(r.Affected(), 1);
  }
  pool.Exec("INSERT INTO widgets (name, note) VALUES ($1, $2)", {"null-note", std::nullopt});

  const auto rows = pool.Exec("SELECT name, note, qty, qty = 0 AS empty FROM widgets ORDER BY id");
  ASSERT_EQ(rows.Size(), tricky.size() + 1);
  for (std::size_t i = 0; i < tricky.size(); ++i) {
    EXPECT_EQ(rows[i].Get("note"), tricky[i]);
    EXPECT_FALSE(rows[i].IsNull(1));
  }
  const Row& last = rows[tricky.size()];
  EXPECT_TRUE(last.IsNull(1));
  EXPECT_EQ(last.Optional("note"), std::nullopt);
  EXPECT_EQ(last.Get(0), "null-note");
  EXPECT_EQ(last.GetInt("qty"), 0);
  EXPECT_TRUE(last.GetBool("empty"));
  EXPECT_EQ(last.Names(), (std::vector<std::string>{"name", "note", "qty", "empty"}));
  EXPECT_EQ(CaptureError([&] { last.Get("note"); }).Code(), ErrorCode::kInternal);
  EXPECT_EQ(CaptureError([&] { last.Get("missing"); }).Code(), ErrorCode::kInternal);

  // The injection-looking values were data: the table is intact.
  EXPECT_EQ(CountWidgets(pool), static_cast<std::int64_t>(tricky.size() + 1));

  const auto updated = pool.Exec("UPDATE widgets SET qty = qty + $1::int WHERE note IS NOT NULL",
                                 {"2"});
  EXPECT_EQ(updated.Affected(), static_cast<std::int64_t>(tricky.size()));
  const auto null_param = pool.Exec("SELECT $1::text IS NULL AS is_null", {std::nullopt});
  EXPECT_TRUE(null_param[0].GetBool("is_null"));
}

TEST_F(PoolTest, ParameterWithNulByteIsRejectedNotTruncated) {
  Pool pool(Config());
  CreateWidgets(pool);
  const Error e = CaptureError([&] {
    pool.Exec("INSERT INTO widgets (name) VALUES ($1)", {std::string("abc\0def", 7)});
  });
  EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CountWidgets(pool), 0);
}

TEST_F(PoolTest, OnlyOneStatementPerExec) {
  Pool pool(Config());
  CreateWidgets(pool);
  const Error e = CaptureError([&] {
    pool.Exec("INSERT INTO widgets (name) VALUES ($1); DELETE FROM widgets", {"x"});
  });
  EXPECT_EQ(e.Code(), ErrorCode::kInternal);
  EXPECT_EQ(CountWidgets(pool), 0);
}

TEST_F(PoolTest, InTransactionCommitsOrRollsBackAsAWhole) {
  Pool pool(Config());
  CreateWidgets(pool);
  pool.InTransaction([](Tx& tx) {
    tx.Exec("INSERT INTO widgets (name) VALUES ($1)", {"a"});
    tx.Exec("INSERT INTO widgets (name) VALUES ($1)", {"b"});
  });
  EXPECT_EQ(CountWidgets(pool), 2);

  EXPECT_THROW(pool.InTransaction([](Tx& tx) {
    tx.Exec("INSERT INTO widgets (name) VALUES ($1)", {"c"});
    throw std::runtime_error("callback failed");
  }),
               std::runtime_error);
  EXPECT_EQ(CountWidgets(pool), 2);
}

TEST_F(PoolTest, SwallowedStatementErrorStillPreventsCommit) {
  Pool pool(Config());
  CreateWidgets(pool);
  const Error e = CaptureError([&] {
    pool.InTransaction([](Tx& tx) {
      tx.Exec("INSERT INTO widgets (name) VALUES ($1)", {"kept?"});
      try {
        tx.Exec("INSERT INTO widgets (name) VALUES ($1)", {"kept?"});
      } catch (const Error&) {
        // A careless repository ignores the duplicate and carries on.
      }
    });
  });
  EXPECT_EQ(e.Code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(CountWidgets(pool), 0);
}

TEST_F(PoolTest, DatabaseErrorsMapToApiCodes) {
  PoolConfig config = Config();
  config.statement_timeout = std::chrono::milliseconds(200);
  Pool pool(config);
  CreateWidgets(pool);
  pool.Exec("INSERT INTO widgets (name) VALUES ($1)", {"dup"});

  const Error unique =
      CaptureError([&] { pool.Exec("INSERT INTO widgets (name) VALUES ($1)", {"dup"}); });
  EXPECT_EQ(unique.Code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(std::string(unique.what()).find("widgets_name_key"), std::string::npos)
      << unique.what();
  EXPECT_EQ(std::string(unique.what()).find("dup"), std::string::npos)
      << "the offending value must not leak into the message: " << unique.what();

  const Error check = CaptureError(
      [&] { pool.Exec("INSERT INTO widgets (name, qty) VALUES ($1, $2)", {"neg", "-1"}); });
  EXPECT_EQ(check.Code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(std::string(check.what()).find("widgets_qty_check"), std::string::npos);

  const Error fk =
      CaptureError([&] { pool.Exec("INSERT INTO parts (widget_id) VALUES ($1)", {"999"}); });
  EXPECT_EQ(fk.Code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(std::string(fk.what()).find("parts_widget_fk"), std::string::npos);

  const Error not_null = CaptureError(
      [&] { pool.Exec("INSERT INTO widgets (name) VALUES ($1)", {std::nullopt}); });
  EXPECT_EQ(not_null.Code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(std::string(not_null.what()).find("name"), std::string::npos);

  const auto start = std::chrono::steady_clock::now();
  const Error timeout = CaptureError([&] { pool.Exec("SELECT pg_sleep(5)"); });
  EXPECT_EQ(timeout.Code(), ErrorCode::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));

  const Error internal = CaptureError([&] { pool.Exec("SELEC nonsense FROM nowhere"); });
  EXPECT_EQ(internal.Code(), ErrorCode::kInternal);
  EXPECT_EQ(std::string(internal.what()).find("SELEC"), std::string::npos)
      << "database text must not reach clients: " << internal.what();
  EXPECT_EQ(std::string(internal.what()).find("syntax"), std::string::npos);

  // The pool is still healthy after all of that.
  EXPECT_TRUE(pool.Ping());
}

TEST_F(PoolTest, SessionSettingsAreAppliedToEveryConnection) {
  PoolConfig config = Config("settings-check");
  config.statement_timeout = std::chrono::milliseconds(1500);
  Pool pool(config);
  pool.InTransaction([](Tx& tx) {
    EXPECT_EQ(tx.Exec("SHOW statement_timeout")[0].Get(0), "1500ms");
    EXPECT_EQ(tx.Exec("SHOW application_name")[0].Get(0), "settings-check");
  });
}

TEST_F(PoolTest, SerializationFailuresAreRetriedThenReportedAsAborted) {
  Pool pool(Config());
  Pool other(Config("interferer"));
  pool.Exec("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)");
  pool.Exec("INSERT INTO counter VALUES (1, 0)");

  // The first attempt reads a snapshot, then another session commits a change to the same row
  // before this one updates it: PostgreSQL aborts with 40001 and the callback runs again.
  int attempts = 0;
  pool.InTransaction([&](Tx& tx) {
    ++attempts;
    tx.Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    tx.Exec("SELECT n FROM counter WHERE id = 1");
    if (attempts == 1) other.Exec("UPDATE counter SET n = n + 100 WHERE id = 1");
    tx.Exec("UPDATE counter SET n = n + 1 WHERE id = 1");
  });
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(pool.Exec("SELECT n FROM counter")[0].GetInt("n"), 101);

  attempts = 0;
  const Error e = CaptureError([&] {
    pool.InTransaction([&](Tx& tx) {
      ++attempts;
      tx.Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      tx.Exec("SELECT n FROM counter WHERE id = 1");
      other.Exec("UPDATE counter SET n = n + 100 WHERE id = 1");
      tx.Exec("UPDATE counter SET n = n + 1 WHERE id = 1");
    });
  });
  EXPECT_EQ(e.Code(), ErrorCode::kAborted);
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(pool.Exec("SELECT n FROM counter")[0].GetInt("n"), 401);
}

TEST_F(PoolTest, AbortedErrorsFromTheCallbackAreNotRetried) {
  // A domain rule that answers ABORTED (e.g. an ETag mismatch) is final: retrying would only
  // repeat the same answer three times.
  Pool pool(Config());
  int attempts = 0;
  const Error e = CaptureError([&] {
    pool.InTransaction([&](Tx& tx) {
      ++attempts;
      tx.Exec("SELECT 1");
      throw Error(ErrorCode::kAborted, "stale ETag");
    });
  });
  EXPECT_EQ(e.Code(), ErrorCode::kAborted);
  EXPECT_STREQ(e.what(), "stale ETag");
  EXPECT_EQ(attempts, 1);
}

TEST_F(PoolTest, NeverOpensMoreThanSizeConnectionsUnderLoad) {
  constexpr std::size_t kSize = 4;
  constexpr int kThreads = 16;
  Pool pool(Config("bounded-pool", kSize));
  Pool monitor(Config("pool-monitor", 1));
  std::atomic<bool> running{true};
  std::atomic<std::int64_t> max_seen{0};
  std::atomic<std::size_t> max_open{0};
  std::thread watcher([&] {
    while (running) {
      const auto n = monitor
                         .Exec("SELECT count(*) AS n FROM pg_stat_activity "
                               "WHERE application_name = 'bounded-pool'")[0]
                         .GetInt("n");
      max_seen = std::max(max_seen.load(), n);
      max_open = std::max(max_open.load(), pool.OpenConnections());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::latch start(kThreads);
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < 10; ++i) {
        try {
          pool.Exec("SELECT pg_sleep(0.01)");
          ++ok;
        } catch (const std::exception&) {
          ++failed;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  running = false;
  watcher.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok.load(), kThreads * 10);
  EXPECT_LE(max_seen.load(), static_cast<std::int64_t>(kSize));
  EXPECT_GE(max_seen.load(), 2) << "the load should have used several connections";
  EXPECT_LE(max_open.load(), kSize);
  EXPECT_LE(pool.OpenConnections(), kSize);
  EXPECT_EQ(pool.BusyConnections(), 0u);
}

TEST_F(PoolTest, AcquireTimesOutWithUnavailableWhenAllConnectionsAreBusy) {
  PoolConfig config = Config("tiny", 1);
  config.acquire_timeout = std::chrono::milliseconds(300);
  Pool pool(config);
  std::latch holding(1);
  std::latch release(1);
  std::thread holder([&] {
    pool.InTransaction([&](Tx& tx) {
      tx.Exec("SELECT 1");
      holding.count_down();
      release.wait();
    });
  });
  holding.wait();
  EXPECT_EQ(pool.BusyConnections(), 1u);
  const auto start = std::chrono::steady_clock::now();
  const Error e = CaptureError([&] { pool.Exec("SELECT 1"); });
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.Code(), ErrorCode::kUnavailable);
  EXPECT_EQ(std::string(e.what()).rfind("database unavailable", 0), 0u) << e.what();
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(3));
  release.count_down();
  holder.join();
  EXPECT_EQ(pool.Exec("SELECT 2 AS v")[0].GetInt("v"), 2);
}

TEST_F(PoolTest, RecoversAfterTheDatabaseRestarts) {
  Pool pool(Config("restart-test", 3));
  pool.Exec("CREATE TABLE notes (v text)");
  // Fill the pool with idle connections that the restart will break.
  std::vector<std::thread> fill;
  for (int i = 0; i < 3; ++i) fill.emplace_back([&] { pool.Exec("SELECT pg_sleep(0.05)"); });
  for (auto& t : fill) t.join();
  EXPECT_EQ(pool.OpenConnections(), 3u);

  pg_->Restart();
  // Right after a restart every pooled connection is dead; none of that may reach the caller.
  pool.Exec("INSERT INTO notes VALUES ($1)", {"after restart"});
  EXPECT_TRUE(pool.Ping());

  pg_->Stop();
  const Error down = CaptureError([&] { pool.Exec("SELECT 1"); });
  EXPECT_EQ(down.Code(), ErrorCode::kUnavailable) << down.what();
  EXPECT_FALSE(pool.Ping());
  EXPECT_EQ(CaptureError([&] { pool.Exec("SELECT 1"); }).Code(), ErrorCode::kUnavailable);

  pg_->Start();
  EXPECT_TRUE(pool.Ping());
  pool.Exec("INSERT INTO notes VALUES ($1)", {"after start"});
  EXPECT_EQ(pool.Exec("SELECT count(*) AS n FROM notes")[0].GetInt("n"), 2);
  EXPECT_LE(pool.OpenConnections(), 3u);
}

TEST_F(PoolTest, ConnectionLostMidTransactionIsUnavailable) {
  Pool pool(Config("killed", 2));
  Pool admin(Config("admin", 1));
  const Error e = CaptureError([&] {
    pool.InTransaction([&](Tx& tx) {
      const auto pid = tx.Exec("SELECT pg_backend_pid() AS pid")[0].Get("pid");
      admin.Exec("SELECT pg_terminate_backend($1::int)", {pid});
      tx.Exec("SELECT 1");
    });
  });
  EXPECT_EQ(e.Code(), ErrorCode::kUnavailable) << e.what();
  EXPECT_EQ(pool.Exec("SELECT 3 AS v")[0].GetInt("v"), 3);
}

}  // namespace
}  // namespace dbaas::store

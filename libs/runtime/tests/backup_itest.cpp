#include <fcntl.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "dbaas/common/error.hpp"
#include "dbaas/runtime/tool_process.hpp"
#include "runtime_test_util.hpp"

namespace dbaas::runtime {
namespace {

namespace fs = std::filesystem;
using engines::BackupKind;
using engines::Engine;
using Clock = std::chrono::steady_clock;
using SysClock = std::chrono::system_clock;

long Ms(Clock::time_point since) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

/// A directory the database OS user may write (archives), removed at the end.
class ScratchDir {
 public:
  explicit ScratchDir(const fs::path& parent, const std::string& name) : path_(parent / name) {
    fs::create_directories(path_);
    ::chmod(path_.c_str(), 0777);
  }
  const fs::path& Path() const { return path_; }

 private:
  fs::path path_;
};

/// Writes the stream of a backup to `file` and returns the tool's report.
BackupInfo BackupToFile(Runtime& rt, const std::string& id, const std::string& password,
                        BackupKind kind, const fs::path& file, std::size_t* bytes = nullptr) {
  auto stream = rt.StartBackup(id, password, kind);
  const int out = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) throw std::runtime_error("cannot open " + file.string());
  char buf[65536];
  std::size_t total = 0;
  for (;;) {
    const ssize_t n = ::read(stream->Fd(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (::write(out, buf, static_cast<std::size_t>(n)) != n)
      throw std::runtime_error("short write");
    total += static_cast<std::size_t>(n);
  }
  ::close(out);
  if (bytes != nullptr) *bytes = total;
  return stream->Finish();
}

/// Restores from a backup file through a descriptor.
CreatedInstance RestoreFile(Runtime& rt, InstanceSpec spec, RestoreSource source,
                            const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + file.string());
  source.fd = fd;
  try {
    auto created = rt.CreateFromBackup(spec, source);
    ::close(fd);
    return created;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

std::string Sql(Runtime& rt, const std::string& id, const std::string& password,
                const std::string& sql) {
  return test::Trim(rt.ExecAdminSql(id, password, sql));
}

/// Row count and an md5 over the rows in key order: what a user would compare.
std::string Fingerprint(Runtime& rt, Engine engine, const std::string& id,
                        const std::string& password, const std::string& table) {
  const std::string sql =
      engine == Engine::kPostgresql
          ? "SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, ',' ORDER BY id), '')) "
            "FROM " +
                table + " t"
          : "SELECT CONCAT(COUNT(*), ' ', MD5(COALESCE(GROUP_CONCAT(CONCAT_WS(':', id, v, "
            "HEX(b)) ORDER BY id SEPARATOR ','), ''))) FROM " +
                table;
  return Sql(rt, id, password, sql);
}

void FillSampleData(Runtime& rt, Engine engine, const std::string& id, const std::string& pw) {
  if (engine == Engine::kPostgresql) {
    Sql(rt, id, pw, "CREATE DATABASE app");
    Sql(rt, id, pw, "CREATE ROLE app_user LOGIN PASSWORD 'app-pass-123'");
    Sql(rt, id, pw,
        "CREATE TABLE public.items (id int PRIMARY KEY, v text, b bytea);"
        "INSERT INTO public.items SELECT g, 'row ' || g || ' é', decode(md5(g::text), 'hex') "
        "FROM generate_series(1, 5000) g;");
  } else {
    Sql(rt, id, pw,
        "CREATE DATABASE app; CREATE TABLE app.items (id INT PRIMARY KEY, v VARCHAR(64), b "
        "VARBINARY(16)) ENGINE=InnoDB;"
        "INSERT INTO app.items SELECT seq, CONCAT('row ', seq, ' é'), UNHEX(MD5(seq)) "
        "FROM app.seq_1_to_5000;"
        "CREATE USER 'app_user'@'%' IDENTIFIED BY 'app-pass-123';");
  }
}

std::string ItemsTable(Engine engine) {
  return engine == Engine::kPostgresql ? "public.items" : "app.items";
}

InstanceSpec ArchivingSpec(const std::string& id, Engine engine, const fs::path& archive) {
  auto spec = test::Spec(id, engine);
  if (engine == Engine::kPostgresql) {
    spec.archive_command =
        "test ! -f " + archive.string() + "/%f && cp %p " + archive.string() + "/%f";
  }
  return spec;
}

RestoreSource Source(BackupKind kind) {
  RestoreSource s;
  s.kind = kind;
  return s;
}

void RoundTrip(Engine engine, BackupKind kind) {
  test::StateDir state(29000, 50);
  LocalRuntime rt(state.Config());
  const auto src = rt.Create(test::Spec("src", engine));
  FillSampleData(rt, engine, "src", src.admin_password);
  const auto before = Fingerprint(rt, engine, "src", src.admin_password, ItemsTable(engine));
  ASSERT_EQ(before.substr(0, 5), "5000 ");

  const auto file = state.Path() / "backup.stream";
  std::size_t bytes = 0;
  auto t0 = Clock::now();
  const auto info = BackupToFile(rt, "src", src.admin_password, kind, file, &bytes);
  const long backup_ms = Ms(t0);
  EXPECT_EQ(info.server_version, src.server_version);
  if (kind == BackupKind::kFull && engine == Engine::kPostgresql) {
    EXPECT_FALSE(info.point.wal_start_lsn.empty());
    EXPECT_FALSE(info.point.wal_end_lsn.empty());
  }
  if (kind == BackupKind::kFull && engine == Engine::kMysql) {
    ASSERT_TRUE(info.point.binlog);
    EXPECT_EQ(info.point.binlog->file.rfind("binlog.", 0), 0U);
  }
  // Changes after the backup are not in the restore.
  Sql(rt, "src", src.admin_password, "DELETE FROM " + ItemsTable(engine) + " WHERE id <= 10");

  t0 = Clock::now();
  const auto restored = RestoreFile(rt, test::Spec("dst", engine), Source(kind), file);
  const long restore_ms = Ms(t0);
  std::cout << engines::EngineName(engine) << " " << engines::BackupKindName(kind)
            << " backup bytes=" << bytes << " backup_ms=" << backup_ms
            << " restore_ms=" << restore_ms << "\n";

  EXPECT_NE(restored.endpoint.port, src.endpoint.port);
  EXPECT_NE(restored.admin_password, src.admin_password);
  EXPECT_EQ(rt.Status("dst").state, InstanceState::kRunning);
  EXPECT_EQ(Fingerprint(rt, engine, "dst", restored.admin_password, ItemsTable(engine)), before);
  // The new instance's credentials are its own: the source's password no longer opens it.
  EXPECT_THROW(rt.ExecAdminSql("dst", src.admin_password, "SELECT 1"), Error);
  // Databases and users came along.
  if (engine == Engine::kPostgresql) {
    EXPECT_EQ(Sql(rt, "dst", restored.admin_password,
                  "SELECT count(*) FROM pg_database WHERE datname = 'app'"),
              "1");
    const auto login =
        test::Psql({Engine::kPostgresql, "127.0.0.1", restored.endpoint.port, "app_user", ""},
                   "app-pass-123", rt.CaFile(), "SELECT current_user");
    EXPECT_EQ(test::Trim(login.out), "app_user") << login.err;
  } else {
    const auto login =
        test::MariaDb({Engine::kMysql, "127.0.0.1", restored.endpoint.port, "app_user", ""},
                      "app-pass-123", rt.CaFile(), "SELECT CURRENT_USER()");
    EXPECT_EQ(test::Trim(login.out), "app_user@%") << login.err;
  }
  // The restored instance is a normal one: writable, restartable.
  Sql(rt, "dst", restored.admin_password,
      "INSERT INTO " + ItemsTable(engine) + " (id, v) VALUES (100001, 'after restore')");
  rt.Restart("dst");
  EXPECT_EQ(
      Fingerprint(rt, engine, "dst", restored.admin_password, ItemsTable(engine)).substr(0, 5),
      "5001 ");
}

TEST(Backup, PostgresFullBackupRestoresEveryRowIntoANewInstance) {
  RoundTrip(Engine::kPostgresql, BackupKind::kFull);
}
// An instance made before full backups existed has no replication line in its pg_hba.conf;
// its next start writes the current rules, and then pg_basebackup (a full backup) works.
TEST(Backup, AnOlderPostgresInstanceTakesFullBackupsAfterItsNextStart) {
  test::StateDir state(29000, 50);
  LocalRuntime rt(state.Config());
  const auto src = rt.Create(test::Spec("old", Engine::kPostgresql));
  rt.Stop("old");
  const auto hba = state.Config().state_dir / "instances" / "old" / "data" / "pg_hba.conf";
  std::string rules;
  {
    std::ifstream in(hba);
    for (std::string line; std::getline(in, line);) {
      if (line.find("replication") == std::string::npos) rules += line + "\n";
    }
  }
  std::ofstream(hba, std::ios::trunc) << rules;  // as an older version wrote it
  rt.Start("old");
  std::ifstream in(hba);
  const std::string now((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(now.find("hostssl replication"), std::string::npos) << now;
  std::size_t bytes = 0;
  const auto info =
      BackupToFile(rt, "old", src.admin_password, BackupKind::kFull, state.Path() / "b", &bytes);
  EXPECT_GT(bytes, 1000000U);
  EXPECT_FALSE(info.point.wal_start_lsn.empty());
  rt.Delete("old");
}

TEST(Backup, PostgresLogicalBackupRestoresEveryRowIntoANewInstance) {
  RoundTrip(Engine::kPostgresql, BackupKind::kLogical);
}
TEST(Backup, MariaDbFullBackupRestoresEveryRowIntoANewInstance) {
  RoundTrip(Engine::kMysql, BackupKind::kFull);
}
TEST(Backup, MariaDbLogicalBackupRestoresEveryRowIntoANewInstance) {
  RoundTrip(Engine::kMysql, BackupKind::kLogical);
}

/// A source instance with a full backup, then rows written one at a time with the interval in
/// which each commit happened, then the archive closed past the last row.
struct PitrSource {
  std::unique_ptr<test::StateDir> state;
  std::unique_ptr<LocalRuntime> rt;
  Engine engine = Engine::kPostgresql;
  fs::path archive;
  fs::path backup;
  std::string password;
  std::vector<SysClock::time_point> before;  ///< just before row i's statement was sent
  std::vector<SysClock::time_point> after;   ///< just after its commit returned
  std::vector<long> commit_second;  ///< MariaDB: the row's binlog second (UNIX_TIMESTAMP())
};

PitrSource MakePitrSource(Engine engine, int rows) {
  PitrSource p;
  p.engine = engine;
  p.state = std::make_unique<test::StateDir>(29000, 50);
  p.rt = std::make_unique<LocalRuntime>(p.state->Config());
  p.archive = ScratchDir(p.state->Path(), "archive").Path();
  auto& rt = *p.rt;
  const auto created = rt.Create(ArchivingSpec("src", engine, p.archive));
  p.password = created.admin_password;
  Sql(rt, "src", p.password,
      engine == Engine::kPostgresql
          ? "CREATE TABLE marks (id int PRIMARY KEY, ts bigint)"
          : "CREATE DATABASE app; CREATE TABLE app.marks (id INT PRIMARY KEY, ts BIGINT) "
            "ENGINE=InnoDB");
  p.backup = p.state->Path() / "base.stream";
  BackupToFile(rt, "src", p.password, BackupKind::kFull, p.backup);
  const std::string table = engine == Engine::kPostgresql ? "marks" : "app.marks";
  for (int i = 1; i <= rows; ++i) {
    // MariaDB binlog times are whole seconds: each row waits until a whole second has passed
    // after the previous row's second, so every gap holds a second of its own (a fixed sleep
    // does not guarantee that on a loaded machine: 1.3 s can separate seconds 5 and 6).
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (engine == Engine::kMysql && !p.commit_second.empty()) {
      const SysClock::time_point free_second(std::chrono::seconds(p.commit_second.back() + 2));
      while (SysClock::now() < free_second) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    p.before.push_back(SysClock::now());
    Sql(rt, "src", p.password,
        "INSERT INTO " + table + " VALUES (" + std::to_string(i) + ", " +
            (engine == Engine::kPostgresql ? "0" : "UNIX_TIMESTAMP()") + ")");
    p.after.push_back(SysClock::now());
    if (engine == Engine::kMysql) {
      p.commit_second.push_back(std::stol(Sql(
          rt, "src", p.password, "SELECT ts FROM " + table + " WHERE id = " + std::to_string(i))));
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  if (engine == Engine::kPostgresql) {
    // A commit after the last row (recovery stops at the first commit past the target), then
    // the segment switched and archived.
    Sql(rt, "src", p.password, "INSERT INTO marks VALUES (0, 0)");
    const auto segment = Sql(rt, "src", p.password, "SELECT pg_walfile_name(pg_switch_wal())");
    for (int i = 0; i < 600 && !fs::exists(p.archive / segment); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!fs::exists(p.archive / segment))
      throw std::runtime_error("WAL " + segment + " not archived");
  } else {
    // Close the binlog and archive every closed one as the backup service would: a raw copy
    // read over the instance's TCP endpoint.
    Sql(rt, "src", p.password, "INSERT INTO app.marks VALUES (0, 0); FLUSH BINARY LOGS");
    const auto files = rt.ListBinlogs("src", p.password);
    engines::BackupSource source;
    source.engine = Engine::kMysql;
    source.port = rt.GetEndpoint("src").port;
    source.admin_user = rt.GetEndpoint("src").admin_user;
    source.admin_password = p.password;
    source.ca_file = rt.CaFile().string();
    for (const auto& f : files) {
      if (!f.closed) continue;
      if (!f.first_event || !f.last_event) throw std::runtime_error("no event times for " + f.name);
      ToolProcess copy(engines::BinlogReadCommand(source, f.name, p.archive.string()));
      if (copy.Wait() != 0) throw std::runtime_error("archiving " + f.name + ": " + copy.Stderr());
    }
  }
  return p;
}

RestoreSource PitrRestoreSource(const PitrSource& p, SysClock::time_point target) {
  RestoreSource s;
  s.kind = BackupKind::kFull;
  s.target_time = target;
  s.wal_restore_command = "cp " + p.archive.string() + "/%f %p";
  s.binlog_fetch_command = "cp " + p.archive.string() + "/%f %p";
  return s;
}

/// The ids of the marks a restore holds (row 0 is the closing commit).
std::string RestoredMarks(PitrSource& p, const CreatedInstance& c, const std::string& id) {
  const std::string table = p.engine == Engine::kPostgresql ? "marks" : "app.marks";
  return Sql(*p.rt, id, c.admin_password,
             p.engine == Engine::kPostgresql
                 ? "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM marks"
                 : "SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM app.marks");
}

std::string Ids(int n) {
  std::string out;
  for (int i = 1; i <= n; ++i) out += (i > 1 ? "," : "") + std::to_string(i);
  return out;
}

/// The rows a restore to `target` must hold: PostgreSQL every row committed at or before it;
/// MariaDB every row whose binlog second is at or before target's second.
std::string ExpectedMarks(const PitrSource& p, SysClock::time_point target) {
  int n = 0;
  for (std::size_t i = 0; i < p.after.size(); ++i) {
    const bool in =
        p.engine == Engine::kPostgresql
            ? p.after[i] <= target
            : p.commit_second[i] <=
                  std::chrono::floor<std::chrono::seconds>(target).time_since_epoch().count();
    if (in) n = static_cast<int>(i) + 1;
  }
  return Ids(n);
}

TEST(Pitr, PostgresRestoresExactlyTheRowsCommittedBeforeTheTarget) {
  auto p = MakePitrSource(Engine::kPostgresql, 3);
  // Halfway between the commits of rows 2 and 3.
  const auto target = p.after[1] + (p.before[2] - p.after[1]) / 2;
  const auto t0 = Clock::now();
  const auto c = RestoreFile(*p.rt, test::Spec("dst", Engine::kPostgresql),
                             PitrRestoreSource(p, target), p.backup);
  std::cout << "postgresql pitr restore_ms=" << Ms(t0) << "\n";
  EXPECT_EQ(RestoredMarks(p, c, "dst"), "1,2");
  // Promoted: it takes writes.
  Sql(*p.rt, "dst", c.admin_password, "INSERT INTO marks VALUES (99, 0)");
  EXPECT_EQ(Sql(*p.rt, "dst", c.admin_password, "SELECT pg_is_in_recovery()"), "f");
}

TEST(Pitr, MariaDbRestoresExactlyTheRowsCommittedBeforeTheTarget) {
  auto p = MakePitrSource(Engine::kMysql, 3);
  // Rows are more than a second apart: the second after row 2's is before row 3's.
  const auto target = SysClock::time_point(std::chrono::seconds(p.commit_second[1] + 1)) +
                      std::chrono::milliseconds(100);
  ASSERT_LT(p.commit_second[1] + 1, p.commit_second[2]);
  const auto c =
      RestoreFile(*p.rt, test::Spec("dst", Engine::kMysql), PitrRestoreSource(p, target), p.backup);
  EXPECT_EQ(RestoredMarks(p, c, "dst"), "1,2");
  // Boundary: a target inside row 2's own second includes row 2.
  p.rt->Delete("dst");
  const auto same_second = SysClock::time_point(std::chrono::seconds(p.commit_second[1]));
  const auto c2 = RestoreFile(*p.rt, test::Spec("dst2", Engine::kMysql),
                              PitrRestoreSource(p, same_second), p.backup);
  EXPECT_EQ(RestoredMarks(p, c2, "dst2"), "1,2");
}

TEST(Pitr, TargetBeyondTheArchiveFailsAndLeavesNothing) {
  auto p = MakePitrSource(Engine::kMysql, 1);
  const auto port_before = p.rt->List();
  try {
    RestoreFile(*p.rt, test::Spec("late", Engine::kMysql),
                PitrRestoreSource(p, SysClock::now() + std::chrono::hours(1)), p.backup);
    FAIL() << "restored past the end of the archive";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("archived binlogs end at"), std::string::npos) << e.what();
  }
  EXPECT_EQ(test::Leftovers(p.rt->InstanceDir("late"), 0), "");
  EXPECT_EQ(p.rt->List(), port_before);
}

// Property 13: Point-in-Time Recovery. For random target times inside the recovery window
// (between the backup and the last archived commit), the restored instance holds exactly the
// rows committed at or before the target. Each case is a real restore (seconds), so the runs
// are kept to 3 per engine.
void CheckPitrProperty(Engine engine) {
  auto p = MakePitrSource(engine, 4);
  int n = 0;
  const auto result = rc::check("restore to a random point", [&] {
    // A gap between two commits (or before the first / after the last), then a point in it.
    const auto gap = *rc::gen::inRange<std::size_t>(0, p.after.size() + 1);
    const auto frac = *rc::gen::inRange(1, 1000);
    const auto lo = gap == 0 ? p.before[0] - std::chrono::milliseconds(200) : p.after[gap - 1];
    const auto hi =
        gap == p.after.size() ? p.after.back() + std::chrono::milliseconds(900) : p.before[gap];
    const auto target = lo + (hi - lo) * frac / 1000;
    const std::string id = "dst" + std::to_string(n++);
    const auto c =
        RestoreFile(*p.rt, test::Spec(id, engine), PitrRestoreSource(p, target), p.backup);
    const auto got = RestoredMarks(p, c, id);
    p.rt->Delete(id);
    RC_ASSERT(got == ExpectedMarks(p, target));
  });
  EXPECT_TRUE(result);
}

TEST(Pitr, Property13PostgresRandomTargets) {
  ::setenv("RC_PARAMS", "max_success=3 max_size=100", 0);
  CheckPitrProperty(Engine::kPostgresql);
}

TEST(Pitr, Property13MariaDbRandomTargets) {
  ::setenv("RC_PARAMS", "max_success=3 max_size=100", 0);
  CheckPitrProperty(Engine::kMysql);
}

TEST(Restore, GarbageStreamFailsCleanlyAndLeavesNothing) {
  test::StateDir state(29000, 50);
  LocalRuntime rt(state.Config());
  const auto garbage = state.Path() / "garbage";
  {
    std::mt19937 rng(7);
    std::ofstream out(garbage, std::ios::binary);
    for (int i = 0; i < 200000; ++i) out.put(static_cast<char>(rng()));
  }
  for (auto engine : {Engine::kPostgresql, Engine::kMysql}) {
    for (auto kind : {BackupKind::kFull, BackupKind::kLogical}) {
      const std::string id = std::string(engine == Engine::kPostgresql ? "pg" : "my") + "-" +
                             std::string(engines::BackupKindName(kind));
      try {
        RestoreFile(rt, test::Spec(id, engine), Source(kind), garbage);
        ADD_FAILURE() << id << ": garbage restored";
      } catch (const Error& e) {
        EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument) << e.what();
        EXPECT_NE(std::string(e.what()).find("restoring instance " + id + " failed at step"),
                  std::string::npos)
            << e.what();
      }
      EXPECT_EQ(test::Leftovers(rt.InstanceDir(id), 0), "") << id;
    }
  }
  // A source command that fails: its own message, nothing left.
  RestoreSource broken = Source(BackupKind::kFull);
  broken.command.argv = {"/bin/sh", "-c", "echo 'object backups/42 not found' >&2; exit 3"};
  try {
    rt.CreateFromBackup(test::Spec("pg-broken", Engine::kPostgresql), broken);
    ADD_FAILURE() << "restored from a failing command";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("object backups/42 not found"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(test::Leftovers(rt.InstanceDir("pg-broken"), 0), "");
  EXPECT_TRUE(rt.List().empty());
}

}  // namespace
}  // namespace dbaas::runtime

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "dbaas/common/error.hpp"
#include "runtime_test_util.hpp"

namespace dbaas::runtime {
namespace {

using engines::Engine;
using Clock = std::chrono::steady_clock;

long Ms(Clock::time_point since) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

ErrorCode CodeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.Code();
  }
  return ErrorCode::kInternal;
}

InstanceStatus WaitFor(LocalRuntime& rt, const std::string& id, InstanceState state,
                       std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto status = rt.Status(id);
  while (status.state != state && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = rt.Status(id);
  }
  return status;
}

/// A listening socket on a port, taken away from the runtime.
class PortSquatter {
 public:
  explicit PortSquatter(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;  // connections of earlier tests may linger in TIME_WAIT on this port
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ok_ = ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
          ::listen(fd_, 1) == 0;
  }
  ~PortSquatter() { ::close(fd_); }
  PortSquatter(const PortSquatter&) = delete;
  PortSquatter& operator=(const PortSquatter&) = delete;
  bool Ok() const { return ok_; }

 private:
  int fd_;
  bool ok_ = false;
};

TEST(LocalRuntime, PostgresLifecycleOverVerifiedTls) {
  test::StateDir state;
  auto config = state.Config();
  config.fast_init = false;  // the production path, so the time below is the real one
  LocalRuntime rt(config);
  const auto t0 = Clock::now();
  const auto created = rt.Create(test::Spec("pg-life", Engine::kPostgresql));
  std::cout << "create-to-running postgresql ms=" << Ms(t0) << "\n";
  const auto& ep = created.endpoint;
  EXPECT_EQ(ep.host, "127.0.0.1");
  EXPECT_GE(ep.port, state.Config().port_min);
  EXPECT_EQ(created.admin_password.size(), 32U);
  EXPECT_EQ(created.server_version.rfind("15.", 0), 0U) << created.server_version;
  EXPECT_EQ(rt.Status("pg-life").state, InstanceState::kRunning);

  // A client that verifies the server certificate against the platform CA, by IP and by name.
  auto r = test::Psql(ep, created.admin_password, rt.CaFile(),
                      "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::Trim(r.out), "t");
  r = test::Psql(ep, created.admin_password, rt.CaFile(), "SELECT 1", "verify-full", "localhost");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Plain TCP and a wrong password are refused.
  r = test::Psql(ep, created.admin_password, rt.CaFile(), "SELECT 1", "disable");
  EXPECT_NE(r.exit_code, 0);
  r = test::Psql(ep, "wrong-password", rt.CaFile(), "SELECT 1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(CodeOf([&] { rt.ExecAdminSql("pg-life", "wrong-password", "SELECT 1"); }),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(
      test::Trim(rt.ExecAdminSql("pg-life", created.admin_password, "SHOW password_encryption")),
      "scram-sha-256");

  // No plaintext secret stays on disk.
  const auto dir = rt.InstanceDir("pg-life");
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || e.file_size() > (1 << 20)) continue;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text.find(created.admin_password), std::string::npos) << e.path();
  }

  rt.Stop("pg-life");
  EXPECT_EQ(rt.Status("pg-life").state, InstanceState::kStopped);
  EXPECT_FALSE(test::Listening(ep.port));
  EXPECT_TRUE(test::ProcessesMentioning(dir).empty());
  auto t1 = Clock::now();
  rt.Start("pg-life");
  std::cout << "start postgresql ms=" << Ms(t1) << "\n";
  EXPECT_EQ(rt.Status("pg-life").state, InstanceState::kRunning);
  const auto pid_before = rt.Status("pg-life").pid;
  rt.Restart("pg-life");
  const auto after = rt.Status("pg-life");
  EXPECT_EQ(after.state, InstanceState::kRunning);
  EXPECT_NE(after.pid, pid_before);
  EXPECT_EQ(test::Psql(ep, created.admin_password, rt.CaFile(), "SELECT 1").exit_code, 0);

  t1 = Clock::now();
  rt.Delete("pg-life");
  std::cout << "delete postgresql ms=" << Ms(t1) << "\n";
  EXPECT_EQ(test::Leftovers(dir, ep.port), "");
  EXPECT_EQ(CodeOf([&] { rt.Status("pg-life"); }), ErrorCode::kNotFound);
  EXPECT_TRUE(rt.List().empty());
}

TEST(LocalRuntime, MariaDbLifecycleOverVerifiedTls) {
  test::StateDir state;
  auto config = state.Config();
  config.fast_init = false;
  LocalRuntime rt(config);
  const auto t0 = Clock::now();
  const auto created = rt.Create(test::Spec("my-life", Engine::kMysql));
  std::cout << "create-to-running mysql (MariaDB) ms=" << Ms(t0) << "\n";
  const auto& ep = created.endpoint;
  EXPECT_EQ(created.server_version.rfind("10.11.", 0), 0U) << created.server_version;
  EXPECT_EQ(rt.Status("my-life").state, InstanceState::kRunning);

  auto r = test::MariaDb(ep, created.admin_password, rt.CaFile(),
                         "SHOW SESSION STATUS LIKE 'Ssl_version'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("TLS"), std::string::npos) << r.out;
  // TLS is required; the old root accounts are gone; a wrong password is refused.
  EXPECT_NE(test::MariaDb(ep, created.admin_password, rt.CaFile(), "SELECT 1", false).exit_code, 0);
  EXPECT_NE(test::MariaDb(ep, "wrong-password", rt.CaFile(), "SELECT 1").exit_code, 0);
  EXPECT_EQ(test::Trim(rt.ExecAdminSql("my-life", created.admin_password,
                                       "SELECT COUNT(*) FROM mysql.user WHERE User = 'root'")),
            "0");
  const auto dir = rt.InstanceDir("my-life");
  EXPECT_FALSE(std::filesystem::exists(dir / "run" / "init.sql"));

  rt.Stop("my-life");
  EXPECT_EQ(rt.Status("my-life").state, InstanceState::kStopped);
  EXPECT_FALSE(test::Listening(ep.port));
  rt.Start("my-life");
  EXPECT_EQ(rt.Status("my-life").state, InstanceState::kRunning);
  rt.Restart("my-life");
  EXPECT_EQ(rt.Status("my-life").state, InstanceState::kRunning);
  EXPECT_EQ(test::MariaDb(ep, created.admin_password, rt.CaFile(), "SELECT 1").exit_code, 0);

  rt.Delete("my-life");
  EXPECT_EQ(test::Leftovers(dir, ep.port), "");
}

TEST(LocalRuntime, KilledServerShowsFailedAndStartsAgain) {
  test::StateDir state;
  LocalRuntime rt(state.Config());
  for (Engine engine : {Engine::kPostgresql, Engine::kMysql}) {
    const std::string id = engine == Engine::kPostgresql ? "pg-kill" : "my-kill";
    const auto created = rt.Create(test::Spec(id, engine));
    const auto pid = rt.Status(id).pid;
    ASSERT_TRUE(pid.has_value());
    ASSERT_EQ(::kill(*pid, SIGKILL), 0);
    const auto t0 = Clock::now();
    const auto status = WaitFor(rt, id, InstanceState::kFailed, std::chrono::seconds(10));
    std::cout << id << " failed seen after ms=" << Ms(t0) << ": " << status.detail.substr(0, 120)
              << "\n";
    EXPECT_EQ(status.state, InstanceState::kFailed);
    EXPECT_LT(Ms(t0), 5000);
    rt.Start(id);
    EXPECT_EQ(rt.Status(id).state, InstanceState::kRunning);
    EXPECT_EQ(test::Trim(rt.ExecAdminSql(id, created.admin_password, "SELECT 1")), "1");
    rt.Delete(id);
    EXPECT_EQ(test::Leftovers(rt.InstanceDir(id), created.endpoint.port), "");
  }
}

TEST(LocalRuntime, NewRuntimeObjectReadoptsRunningInstance) {
  test::StateDir state;
  CreatedInstance created;
  std::optional<int> pid;
  {
    LocalRuntime first(state.Config());
    created = first.Create(test::Spec("pg-adopt", Engine::kPostgresql));
    pid = first.Status("pg-adopt").pid;
  }
  // The object (and with it anything in memory) is gone; the server keeps running.
  LocalRuntime second(state.Config());
  EXPECT_EQ(second.List(), std::vector<std::string>{"pg-adopt"});
  const auto status = second.Status("pg-adopt");
  EXPECT_EQ(status.state, InstanceState::kRunning);
  EXPECT_EQ(status.pid, pid);
  EXPECT_EQ(second.GetEndpoint("pg-adopt").port, created.endpoint.port);
  EXPECT_EQ(test::Psql(second.GetEndpoint("pg-adopt"), created.admin_password, second.CaFile(),
                       "SELECT 1")
                .exit_code,
            0);
  second.Stop("pg-adopt");
  LocalRuntime third(state.Config());
  EXPECT_EQ(third.Status("pg-adopt").state, InstanceState::kStopped);  // stopped on purpose
}

TEST(LocalRuntime, PortTakenLeavesNothingBehind) {
  test::StateDir state;
  auto config = state.Config();
  config.port_max = config.port_min;  // a range of one port
  LocalRuntime rt(config);
  PortSquatter squatter(config.port_min);
  ASSERT_TRUE(squatter.Ok());
  try {
    auto spec = test::Spec("pg-port");
    spec.port = config.port_min;
    rt.Create(spec);
    FAIL() << "created on a taken port";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("port " + std::to_string(config.port_min)),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(test::Leftovers(rt.InstanceDir("pg-port"), 0), "");
  EXPECT_EQ(CodeOf([&] { rt.Create(test::Spec("pg-port", Engine::kPostgresql)); }),
            ErrorCode::kResourceExhausted);
  EXPECT_EQ(test::Leftovers(rt.InstanceDir("pg-port"), 0), "");
  EXPECT_TRUE(rt.List().empty());
}

TEST(LocalRuntime, ParameterTheEngineRefusesLeavesNothingBehind) {
  test::StateDir state;
  LocalRuntime rt(state.Config());
  for (Engine engine : {Engine::kPostgresql, Engine::kMysql}) {
    const std::string id = engine == Engine::kPostgresql ? "pg-bad" : "my-bad";
    // Not a value ValidateParameters would pass: the engine itself refuses it at start.
    engines::ParameterValues params = engine == Engine::kPostgresql
                                          ? engines::ParameterValues{{"shared_buffers", "banana"}}
                                          : engines::ParameterValues{{"sql_mode", "NO_SUCH_MODE"}};
    try {
      rt.Create(test::Spec(id, engine, params));
      FAIL() << id << " created with a refused parameter";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("step 'start'"), std::string::npos) << what;
      EXPECT_NE(what.find(engine == Engine::kPostgresql ? "shared_buffers" : "sql_mode"),
                std::string::npos)
          << what;
    }
    EXPECT_EQ(test::Leftovers(rt.InstanceDir(id), 0), "");
  }
  EXPECT_TRUE(rt.List().empty());
}

TEST(LocalRuntime, ResizeAppliesDynamicLiveAndStaticOnRestart) {
  test::StateDir state;
  LocalRuntime rt(state.Config());
  const auto pg = rt.Create(test::Spec("pg-resize", Engine::kPostgresql));
  auto change = rt.Resize("pg-resize", test::Resize("micro", {{"work_mem", "8MB"}}));
  EXPECT_EQ(change.applied_live, std::vector<std::string>{"work_mem"});
  EXPECT_FALSE(change.restarted);
  std::string work_mem;
  for (int i = 0; i < 50 && work_mem != "8MB"; ++i) {  // the reload is asynchronous
    work_mem = test::Trim(rt.ExecAdminSql("pg-resize", pg.admin_password, "SHOW work_mem"));
    if (work_mem != "8MB") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(work_mem, "8MB");

  const auto pid = rt.Status("pg-resize").pid;
  change = rt.Resize(
      "pg-resize", test::Resize("micro", {{"work_mem", "8MB"}, {"shared_buffers", "64MB"}}, false));
  EXPECT_EQ(change.pending_restart, std::vector<std::string>{"shared_buffers"});
  EXPECT_EQ(rt.Status("pg-resize").pid, pid);
  EXPECT_EQ(test::Trim(rt.ExecAdminSql("pg-resize", pg.admin_password, "SHOW shared_buffers")),
            "128MB");
  change = rt.Resize("pg-resize", test::Resize("small", {{"shared_buffers", "64MB"}}));
  EXPECT_TRUE(change.restarted);
  EXPECT_EQ(test::Trim(rt.ExecAdminSql("pg-resize", pg.admin_password, "SHOW shared_buffers")),
            "64MB");
  EXPECT_EQ(test::Trim(rt.ExecAdminSql("pg-resize", pg.admin_password, "SHOW max_connections")),
            "100");

  const auto my = rt.Create(test::Spec("my-resize", Engine::kMysql));
  change = rt.Resize("my-resize",
                     test::Resize("micro", {{"max_connections", "77"}}, true, my.admin_password));
  EXPECT_EQ(change.applied_live, std::vector<std::string>{"max_connections"});
  EXPECT_FALSE(change.restarted);
  EXPECT_EQ(test::Trim(
                rt.ExecAdminSql("my-resize", my.admin_password, "SELECT @@GLOBAL.max_connections")),
            "77");
  rt.Restart("my-resize");  // the file holds it too
  EXPECT_EQ(test::Trim(
                rt.ExecAdminSql("my-resize", my.admin_password, "SELECT @@GLOBAL.max_connections")),
            "77");
}

TEST(LocalRuntime, ReplicasAreNotSupportedYet) {
  test::StateDir state;
  LocalRuntime rt(state.Config());
  EXPECT_EQ(CodeOf([&] { rt.Promote("nope"); }), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf([&] { rt.Create(test::Spec("Bad/Id")); }), ErrorCode::kInvalidArgument);
  auto huge = test::Spec("x");
  huge.size = "huge";
  EXPECT_EQ(CodeOf([&] { rt.Create(huge); }), ErrorCode::kInvalidArgument);
  auto old = test::Spec("x");
  old.version = "9.6";
  EXPECT_EQ(CodeOf([&] { rt.Create(old); }), ErrorCode::kInvalidArgument);
  EXPECT_NO_THROW(rt.Delete("never-existed"));
}

}  // namespace
}  // namespace dbaas::runtime

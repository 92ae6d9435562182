#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "dbaas/testing/servers.hpp"

namespace dbaas::testing {
namespace {

int PostmasterPid(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / "postmaster.pid");
  int pid = -1;
  in >> pid;
  return pid;
}

bool TcpOpen(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return open;
}

bool ProcessGone(int pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

/// Runs psql with a connection URI, as a client of the service would connect.
std::string PsqlWithUri(const std::string& uri, const std::string& sql) {
  const std::string cmd = "/usr/lib/postgresql/15/bin/psql -X -q -A -t '" + uri + "' -c \"" + sql +
                          "\" 2>&1";
  std::string out;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  ::pclose(pipe);
  return out;
}

TEST(PostgresServer, StartsAnswersRestartsAndCleansUp) {
  std::filesystem::path dir;
  int pid = -1;
  {
    PostgresServer pg;
    dir = pg.DataDir().parent_path();
    pid = PostmasterPid(pg.DataDir());
    ASSERT_GT(pid, 0);
    EXPECT_EQ(pg.Query("SELECT 1"), "1\n");
    EXPECT_EQ(pg.Uri(), "postgresql://postgres@127.0.0.1:" + std::to_string(pg.Port()) +
                            "/postgres");

    pg.Query("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before restart')");
    const auto port = pg.Port();
    pg.Restart();
    EXPECT_EQ(pg.Port(), port);
    EXPECT_EQ(pg.Query("SELECT v FROM kept"), "before restart\n");
    EXPECT_TRUE(ProcessGone(pid)) << "the old postmaster must be gone after a restart";
    pid = PostmasterPid(pg.DataDir());
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_TRUE(ProcessGone(pid));
}

TEST(PostgresServer, ServerIsUnreachableWhileStopped) {
  PostgresServer pg;
  pg.Stop();
  EXPECT_FALSE(pg.Running());
  EXPECT_THROW(pg.Query("SELECT 1"), std::runtime_error);
  pg.Start();
  EXPECT_TRUE(pg.Running());
  EXPECT_EQ(pg.Query("SELECT 1"), "1\n");
}

TEST(PostgresServer, CreateDatabaseGivesAnOwnedDatabaseAndLoginRole) {
  PostgresServer pg;
  const std::string uri = pg.CreateDatabase("orders");
  EXPECT_EQ(uri, "postgresql://orders@127.0.0.1:" + std::to_string(pg.Port()) + "/orders");
  EXPECT_EQ(PsqlWithUri(uri, "CREATE TABLE t (x int); SELECT current_user || '@' || current_database()"),
            "orders@orders\n");
  EXPECT_THROW(pg.CreateDatabase("Robert'); DROP TABLE students;--"), std::invalid_argument);
}

TEST(PostgresServer, TwoServersRunSideBySide) {
  PostgresServer a;
  PostgresServer b;
  EXPECT_NE(a.Port(), b.Port());
  a.Query("CREATE TABLE only_in_a (x int)");
  EXPECT_EQ(b.Query("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'"), "0\n");
}

TEST(PostgresServer, ServersDieWithACrashedTestBinary) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    PostgresServer pg;
    NatsServer nats;
    const std::string report = std::to_string(PostmasterPid(pg.DataDir())) + " " +
                               std::to_string(nats.Port()) + " " +
                               pg.DataDir().parent_path().string() + " " + nats.Dir().string();
    const auto n = ::write(fds[1], report.data(), report.size());
    ::raise(SIGKILL);
    ::_exit(static_cast<int>(n));
  }
  ::close(fds[1]);
  std::string report;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  std::istringstream in(report);
  int pg_pid = -1;
  int nats_port = 0;
  std::string pg_dir;
  std::string nats_dir;
  in >> pg_pid >> nats_port >> pg_dir >> nats_dir;
  ASSERT_GT(pg_pid, 0) << report;
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    gone = ProcessGone(pg_pid);
  }
  EXPECT_TRUE(gone) << "postmaster " << pg_pid << " outlived the crashed test binary";
  EXPECT_FALSE(TcpOpen(static_cast<std::uint16_t>(nats_port)))
      << "nats-server outlived the crashed test binary";
  // A killed binary cannot remove its directories; do it here so the machine stays clean.
  std::filesystem::remove_all(pg_dir);
  std::filesystem::remove_all(nats_dir);
}

}  // namespace
}  // namespace dbaas::testing

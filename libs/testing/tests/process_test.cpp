#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "dbaas/testing/servers.hpp"

namespace dbaas::testing {
namespace {

std::string ReadFile(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/dbaas-process-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ProcessTest, RunsWithEnvironmentOverridesAndLogsOutput) {
  ::setenv("DBAAS_TESTING_REMOVED", "present", 1);
  const auto log = dir_ / "logs" / "child.log";
  Process p({"sh", "-c", "echo \"$DBAAS_TESTING_SET ${DBAAS_TESTING_REMOVED-unset}\"; exec sleep 30"},
            {"DBAAS_TESTING_SET=hello", "DBAAS_TESTING_REMOVED"}, log);
  EXPECT_GT(p.Pid(), 0);
  EXPECT_TRUE(p.Running());
  for (int i = 0; i < 200 && ReadFile(log).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(ReadFile(log), "hello unset\n");
  EXPECT_EQ(p.Terminate(), 128 + SIGTERM);
  EXPECT_FALSE(p.Running());
}

TEST_F(ProcessTest, ReportsTheExitCode) {
  Process p({"sh", "-c", "exit 3"}, {}, dir_ / "exit.log");
  for (int i = 0; i < 500 && p.Running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(p.Terminate(), 3);
}

TEST_F(ProcessTest, KillsAProcessThatIgnoresSigterm) {
  Process p({"sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"}, {}, dir_ / "trap.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(p.Terminate(std::chrono::milliseconds(200)), -1);
  EXPECT_TRUE(p.Running());
  p.Kill();
  EXPECT_FALSE(p.Running());
}

TEST_F(ProcessTest, MissingProgramThrows) {
  EXPECT_THROW(Process({"dbaas-no-such-program"}, {}, dir_ / "x.log"), std::runtime_error);
}

/// A one-thread HTTP server that answers every request with `status`.
class TinyHttpServer {
 public:
  explicit TinyHttpServer(int status) : status_(status) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyHttpServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t Port() const { return port_; }
  std::string LastRequest() {
    std::lock_guard lock(mutex_);
    return last_request_;
  }

 private:
  void Serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[2048];
      const auto n = ::recv(c, buf, sizeof buf, 0);
      {
        std::lock_guard lock(mutex_);
        last_request_.assign(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
      }
      const std::string reply = "HTTP/1.1 " + std::to_string(status_) +
                                " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  int status_;
  int fd_;
  std::uint16_t port_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::string last_request_;
  std::thread thread_;
};

TEST(WaitForHttp, SeesTheExpectedStatus) {
  TinyHttpServer server(200);
  EXPECT_TRUE(WaitForHttp("127.0.0.1", server.Port(), "/readyz", 200, std::chrono::seconds(5)));
  EXPECT_EQ(server.LastRequest().rfind("GET /readyz HTTP/1.1\r\n", 0), 0u);
}

TEST(WaitForHttp, GivesUpOnAnotherStatusOrNoServer) {
  TinyHttpServer server(503);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(WaitForHttp("127.0.0.1", server.Port(), "/readyz", 200,
                           std::chrono::milliseconds(300)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_FALSE(WaitForHttp("127.0.0.1", FreePort(), "/", 200, std::chrono::milliseconds(200)));
}

TEST(FreePort, GivesDistinctBindablePorts) {
  const auto a = FreePort();
  const auto b = FreePort();
  EXPECT_NE(a, b);
  EXPECT_GT(a, 0);
}

}  // namespace
}  // namespace dbaas::testing

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "dbaas/testing/servers.hpp"

namespace dbaas::testing {
namespace {

/// The first line the server sends a new client ("" when it does not answer).
std::string InfoLine(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string line;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    char c;
    while (line.size() < 8192 && ::recv(fd, &c, 1, 0) == 1 && c != '\n') line += c;
  }
  ::close(fd);
  return line;
}

TEST(NatsServer, StartsWithJetStreamRestartsAndCleansUp) {
  std::filesystem::path dir;
  std::uint16_t port = 0;
  {
    NatsServer nats;
    port = nats.Port();
    dir = nats.Dir();
    EXPECT_EQ(nats.Url(), "nats://127.0.0.1:" + std::to_string(port));
    const auto info = InfoLine(port);
    EXPECT_EQ(info.rfind("INFO {", 0), 0u) << info;
    EXPECT_NE(info.find("\"jetstream\":true"), std::string::npos) << info;
    EXPECT_TRUE(std::filesystem::exists(dir / "jetstream"));

    nats.Stop();
    EXPECT_EQ(InfoLine(port), "");
    nats.Start();
    EXPECT_EQ(nats.Port(), port);
    EXPECT_EQ(InfoLine(port).rfind("INFO {", 0), 0u);
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_EQ(InfoLine(port), "");
}

}  // namespace
}  // namespace dbaas::testing

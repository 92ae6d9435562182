#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "dbaas/common/error.hpp"
#include "dbaas/http/client.hpp"
#include "test_server.hpp"

namespace dbaas::http {
namespace {

using namespace std::chrono_literals;
using testing::TestServer;

std::string Url(const TestServer& server, const std::string& target, bool tls = false) {
  return (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(server.Port()) +
         target;
}

ClientConfig FastRetries() {
  ClientConfig c;
  c.backoff = {1ms, 5ms};
  return c;
}

// A port nothing listens on: bound once to get a free number, then released.
std::uint16_t ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(Client, ReusesKeepAliveConnections) {
  Router router;
  router.Get("/v1/who", [](const Request& req) {
    return Response::Ok({{"remote", req.RemoteAddress()}});
  });
  TestServer server(std::move(router));
  Client client;
  ClientRequest req;
  req.url = Url(server, "/v1/who");
  const auto first = client.Send(req).Json()["remote"];
  const auto second = client.Send(req).Json()["remote"];
  EXPECT_EQ(first, second) << "the second request should reuse the pooled connection";
}

TEST(Client, SendsJsonBodiesAndHeaders) {
  Router router;
  router.Post("/v1/echo", [](const Request& req) {
    auto res = Response::Created(req.Json());
    res.SetHeader("X-Seen", req.Header("X-Custom").value_or(""));
    return res;
  });
  TestServer server(std::move(router));
  Client client;
  ClientRequest req;
  req.method = Method::kPost;
  req.url = Url(server, "/v1/echo");
  req.headers.Set("X-Custom", "v1");
  req.JsonBody({{"name", "db1"}});
  const auto res = client.Send(req);
  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(res.Json()["name"], "db1");
  EXPECT_EQ(res.Header("x-seen"), "v1");
}

TEST(Client, RetriesIdempotentRequestsUntilTheServerRecovers) {
  std::atomic<int> calls{0};
  Router router;
  auto flaky = [&](const Request&) -> Response {
    if (++calls <= 2) throw Error(ErrorCode::kUnavailable, "warming up");
    return Response::Ok({{"ok", true}});
  };
  router.Get("/v1/flaky", flaky);
  router.Post("/v1/flaky", flaky);
  TestServer server(std::move(router));
  Client client(FastRetries());

  ClientRequest get;
  get.url = Url(server, "/v1/flaky");
  const auto res = client.Send(get);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.attempts, 3);

  calls = 0;
  ClientRequest post;
  post.method = Method::kPost;
  post.url = Url(server, "/v1/flaky");
  const auto not_retried = client.Send(post);
  EXPECT_EQ(not_retried.status, 503) << "POST without Idempotency-Key must not be retried";
  EXPECT_EQ(not_retried.attempts, 1);

  calls = 0;
  post.headers.Set("Idempotency-Key", "key-1");
  const auto retried = client.Send(post);
  EXPECT_EQ(retried.status, 200);
  EXPECT_EQ(retried.attempts, 3);
}

TEST(Client, GivesUpAfterMaxAttemptsAndReturnsTheLastResponse) {
  Router router;
  router.Get("/v1/down", [](const Request&) -> Response {
    throw Error(ErrorCode::kUnavailable, "down");
  });
  TestServer server(std::move(router));
  auto config = FastRetries();
  config.max_attempts = 4;
  config.breaker.failure_threshold = 100;
  Client client(config);
  ClientRequest req;
  req.url = Url(server, "/v1/down");
  const auto res = client.Send(req);
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(res.attempts, 4);
}

TEST(Client, BreakerOpensAgainstAClosedPortAndFailsFast) {
  const auto port = ClosedPort();
  auto config = FastRetries();
  config.max_attempts = 1;
  config.breaker = {.failure_threshold = 3, .open_duration = 60s};
  Client client(config);
  ClientRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/x";
  for (int i = 0; i < 3; ++i) {
    try {
      client.Send(req);
      FAIL() << "nothing listens on port " << port;
    } catch (const Error& e) {
      EXPECT_EQ(e.Code(), ErrorCode::kUnavailable);
      EXPECT_EQ(std::string(e.what()).find("circuit open"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(client.BreakerState("127.0.0.1", port), CircuitBreaker::State::kOpen);
  try {
    client.Send(req);
    FAIL() << "expected the circuit to be open";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kUnavailable);
    EXPECT_NE(std::string(e.what()).find("circuit open"), std::string::npos) << e.what();
  }
}

TEST(Client, TimesOutASlowServer) {
  Router router;
  router.Get("/v1/slow", [](const Request&) {
    std::this_thread::sleep_for(1500ms);
    return Response::Ok({});
  });
  TestServer server(std::move(router));
  auto config = FastRetries();
  config.max_attempts = 1;
  Client client(config);
  ClientRequest req;
  req.url = Url(server, "/v1/slow");
  req.timeout = 200ms;
  try {
    client.Send(req);
    FAIL() << "expected DEADLINE_EXCEEDED";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kDeadlineExceeded) << e.what();
  }
}

TEST(Client, RejectsMalformedUrls) {
  Client client;
  for (const char* url : {"ftp://x/", "http://", "http://host:99999/", "http://host:abc/"}) {
    ClientRequest req;
    req.url = url;
    EXPECT_THROW(client.Send(req), Error) << url;
  }
}

class TlsFiles {
 public:
  TlsFiles() {
    dir_ = std::filesystem::temp_directory_path() /
           ("dbaas_tls_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    const auto command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
        "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
        Key() + " -out " + Cert() + " >/dev/null 2>&1";
    ok_ = std::system(command.c_str()) == 0;
  }
  ~TlsFiles() { std::filesystem::remove_all(dir_); }
  bool Ok() const { return ok_; }
  std::string Cert() const { return (dir_ / "cert.pem").string(); }
  std::string Key() const { return (dir_ / "key.pem").string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  bool ok_ = false;
};

TEST(Client, TlsRoundTripVerifiesThePeer) {
  TlsFiles files;
  ASSERT_TRUE(files.Ok()) << "could not create a certificate; install the Debian package `openssl`";
  Router router;
  router.Post("/v1/echo", [](const Request& req) { return Response::Ok(req.Json()); });
  ServerConfig config;
  config.tls_cert_file = files.Cert();
  config.tls_key_file = files.Key();
  TestServer server(std::move(router), config);

  ClientConfig trusting;
  trusting.ca_file = files.Cert();
  Client client(trusting);
  ClientRequest req;
  req.method = Method::kPost;
  req.url = Url(server, "/v1/echo", true);
  req.JsonBody({{"secret", "over tls"}});
  for (int i = 0; i < 2; ++i) {
    const auto res = client.Send(req);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.Json()["secret"], "over tls");
    EXPECT_EQ(res.Header("Strict-Transport-Security"), "max-age=31536000");
  }

  auto strict_config = FastRetries();
  strict_config.max_attempts = 1;
  Client strict(strict_config);  // system CAs only: the self-signed certificate is refused
  EXPECT_THROW(strict.Send(req), Error);

  ClientRequest plain;
  plain.url = Url(server, "/livez");
  EXPECT_THROW(strict.Send(plain), Error) << "the TLS server must not answer plain HTTP";
}

}  // namespace
}  // namespace dbaas::http

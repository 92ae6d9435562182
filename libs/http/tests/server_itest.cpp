#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dbaas/common/error.hpp"
#include "dbaas/http/client.hpp"
#include "test_server.hpp"

namespace dbaas::http {
namespace {

using namespace std::chrono_literals;
using testing::BodyOf;
using testing::HeaderOf;
using testing::RawConnection;
using testing::StatusOf;
using testing::TestServer;

Router PingRouter() {
  Router r;
  r.Get("/v1/ping", [](const Request&) { return Response::Ok({{"pong", true}}); });
  r.Get("/v1/items/{id}", [](const Request& req) {
    return Response::Ok({{"id", req.PathParam("id")}, {"remote", req.RemoteAddress()}});
  });
  r.Get("/v1/boom", [](const Request&) -> Response {
    throw std::runtime_error("secret database password in message");
  });
  r.Get("/v1/conflict", [](const Request&) -> Response {
    throw Error(ErrorCode::kAlreadyExists, "instance db1 already exists", {{"name", "taken"}});
  });
  return r;
}

std::string Get(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers + "\r\n";
}

TEST(Server, KeepAliveServesSequentialAndPipelinedRequests) {
  TestServer server(PingRouter());
  RawConnection conn(server.Port());
  ASSERT_TRUE(conn.Connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(conn.Send(Get("/v1/ping")));
    auto res = conn.ReadResponse();
    ASSERT_TRUE(res);
    EXPECT_EQ(StatusOf(*res), 200);
    EXPECT_EQ(BodyOf(*res), R"({"pong":true})");
  }
  ASSERT_TRUE(conn.Send(Get("/v1/items/a") + Get("/v1/items/b") + Get("/v1/items/c")));
  for (const char* id : {"a", "b", "c"}) {
    auto res = conn.ReadResponse();
    ASSERT_TRUE(res);
    EXPECT_EQ(nlohmann::json::parse(BodyOf(*res))["id"], id);
  }
}

TEST(Server, ConnectionCloseIsHonoured) {
  TestServer server(PingRouter());
  RawConnection conn(server.Port());
  ASSERT_TRUE(conn.Send(Get("/v1/ping", "Connection: close\r\n")));
  auto res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(HeaderOf(*res, "Connection"), "close");
  EXPECT_TRUE(conn.WaitClosed(2s));
}

TEST(Server, ConcurrentClientsAllSucceed) {
  TestServer server(PingRouter());
  Client client;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        ClientRequest req;
        req.url = "http://127.0.0.1:" + std::to_string(server.Port()) + "/v1/ping";
        if (client.Send(req).status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 400);
  // A request is counted just after its response is written, so the last count may trail the
  // client by a moment.
  const std::string counted =
      R"(http_requests_total{route="/v1/ping",method="GET",status="200"} 400)";
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (server.Registry().Expose().find(counted) == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_NE(server.Registry().Expose().find(counted), std::string::npos);
}

// Each I/O thread has its own event loop and connections are handed out round-robin: every
// connection, inline or pooled, must still be served, counted once, and drained on shutdown.
TEST(Server, SeveralIoThreadsServeEveryConnectionAndShutDown) {
  ServerConfig config;
  config.io_threads = 3;
  Router router = PingRouter();
  router.Get("/v1/inline", [](const Request&) { return Response::Ok({{"inline", true}}); },
             {.non_blocking = true});
  TestServer server(std::move(router), config);
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int i = 0; i < 7; ++i) {
    conns.push_back(std::make_unique<RawConnection>(server.Port()));
    ASSERT_TRUE(conns.back()->Connected());
  }
  for (int round = 0; round < 3; ++round) {
    for (auto& c : conns) {
      ASSERT_TRUE(c->Send(Get(round % 2 == 0 ? "/v1/ping" : "/v1/inline")));
    }
    for (auto& c : conns) {
      auto res = c->ReadResponse();
      ASSERT_TRUE(res);
      EXPECT_EQ(StatusOf(*res), 200);
    }
  }
  // A request is counted just after its response is written, so wait for the last ones.
  const auto counted = [&](const std::string& sample) {
    for (int i = 0; i < 200; ++i) {
      if (server.Registry().Expose().find(sample) != std::string::npos) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  };
  EXPECT_TRUE(counted(R"(http_requests_total{route="/v1/ping",method="GET",status="200"} 14)"))
      << server.Registry().Expose();
  EXPECT_TRUE(counted(R"(http_requests_total{route="/v1/inline",method="GET",status="200"} 7)"))
      << server.Registry().Expose();
  EXPECT_TRUE(counted("http_connections_open 7")) << server.Registry().Expose();
  server.StopAndWait();
  for (auto& c : conns) EXPECT_TRUE(c->WaitClosed(2s)) << "idle connections are closed";
}

// The server owns framing and the security headers: a handler cannot duplicate or override
// them or split the response with CR/LF, and a 204 has neither length nor body.
TEST(Server, ServerOwnsFramingAndSecurityHeaders) {
  Router router;
  router.Get("/v1/sneaky", [](const Request&) {
    auto res = Response::Text(200, "hello");
    res.headers.Add("Content-Length", "999");
    res.headers.Add("X-Frame-Options", "ALLOW");
    res.headers.Add("X-Custom", "kept");
    res.headers.Add("X-Split", "a\r\nSet-Cookie: evil=1");
    return res;
  });
  router.Delete("/v1/thing", [](const Request&) { return Response::NoContent(); });
  TestServer server(std::move(router));
  RawConnection conn(server.Port());
  ASSERT_TRUE(conn.Send(Get("/v1/sneaky")));
  auto res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(BodyOf(*res), "hello");
  EXPECT_EQ(HeaderOf(*res, "Content-Length"), "5");
  EXPECT_EQ(HeaderOf(*res, "X-Frame-Options"), "DENY");
  EXPECT_EQ(HeaderOf(*res, "X-Custom"), "kept");
  EXPECT_EQ(res->find("Set-Cookie"), std::string::npos) << *res;
  EXPECT_EQ(res->find("999"), std::string::npos) << *res;

  ASSERT_TRUE(conn.Send("DELETE /v1/thing HTTP/1.1\r\nHost: test\r\n\r\n" + Get("/v1/sneaky")));
  auto no_content = conn.ReadResponse();
  ASSERT_TRUE(no_content);
  EXPECT_EQ(StatusOf(*no_content), 204);
  EXPECT_FALSE(HeaderOf(*no_content, "Content-Length"));
  auto next = conn.ReadResponse();  // proves the 204 carried no body
  ASSERT_TRUE(next);
  EXPECT_EQ(StatusOf(*next), 200);
  EXPECT_EQ(BodyOf(*next), "hello");
}

TEST(Server, RequestIdIsEchoedWhenSaneAndGeneratedOtherwise) {
  TestServer server(PingRouter());
  RawConnection conn(server.Port());
  conn.Send(Get("/v1/ping", "X-Request-Id: abc.DEF_123-x\r\n"));
  auto res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(HeaderOf(*res, "X-Request-Id"), "abc.DEF_123-x");
  conn.Send(Get("/v1/ping", "X-Request-Id: bad id with spaces\r\n"));
  res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_TRUE(HeaderOf(*res, "X-Request-Id").value_or("").starts_with("req_"));
  conn.Send(Get("/v1/ping", "X-Request-Id: " + std::string(129, 'a') + "\r\n"));
  res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_TRUE(HeaderOf(*res, "X-Request-Id").value_or("").starts_with("req_"));
  EXPECT_EQ(HeaderOf(*res, "X-Content-Type-Options"), "nosniff");
}

TEST(Server, UnknownExceptionsAreInternalWithoutLeakingText) {
  TestServer server(PingRouter());
  RawConnection conn(server.Port());
  conn.Send(Get("/v1/boom"));
  auto res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(StatusOf(*res), 500);
  const auto body = nlohmann::json::parse(BodyOf(*res));
  EXPECT_EQ(body["error"]["code"], "INTERNAL");
  EXPECT_EQ(body["error"]["message"], "internal error");
  EXPECT_EQ(BodyOf(*res).find("secret"), std::string::npos);
  EXPECT_EQ(body["request_id"], HeaderOf(*res, "X-Request-Id"));
  conn.Send(Get("/v1/conflict"));
  res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(StatusOf(*res), 409);
  EXPECT_EQ(nlohmann::json::parse(BodyOf(*res))["error"]["details"][0]["field"], "name");
}

TEST(Server, HeadHasHeadersButNoBody) {
  TestServer server(PingRouter());
  RawConnection conn(server.Port());
  conn.Send("HEAD /v1/ping HTTP/1.1\r\nHost: x\r\n\r\n" + Get("/livez"));
  // ReadResponse would wait for Content-Length bytes; the next response proves there were none.
  auto both = conn.ReadResponse();
  ASSERT_TRUE(both);
  EXPECT_EQ(StatusOf(*both), 200);
  EXPECT_EQ(HeaderOf(*both, "Content-Length"), "13");
  EXPECT_TRUE(BodyOf(*both).starts_with("HTTP/1.1 200"));
}

TEST(Server, MalformedRequestIs400ThenClose) {
  TestServer server(PingRouter());
  RawConnection conn(server.Port());
  conn.Send("GET /v1/ping HTTP/1.1\r\nHost x-without-colon\r\n\r\n");
  auto res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(StatusOf(*res), 400);
  EXPECT_EQ(nlohmann::json::parse(BodyOf(*res))["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_TRUE(conn.WaitClosed(2s));
}

TEST(Server, BadPercentEncodingIs400) {
  TestServer server(PingRouter());
  RawConnection conn(server.Port());
  conn.Send(Get("/v1/items/%zz"));
  auto res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(StatusOf(*res), 400);
}

TEST(Server, OversizedHeadersAre431) {
  ServerConfig config;
  config.max_header_bytes = 2048;
  TestServer server(PingRouter(), config);
  RawConnection conn(server.Port());
  conn.Send(Get("/v1/ping", "X-Big: " + std::string(4096, 'a') + "\r\n"));
  auto res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(StatusOf(*res), 431);
  EXPECT_TRUE(nlohmann::json::parse(BodyOf(*res))["error"].contains("code"));
}

TEST(Server, ReadTimeoutClosesAStalledRequest) {
  ServerConfig config;
  config.read_timeout = 300ms;
  TestServer server(PingRouter(), config);
  RawConnection conn(server.Port());
  conn.Send("GET /v1/ping HTTP/1.1\r\nHost: x\r\n");  // headers never finish
  EXPECT_TRUE(conn.WaitClosed(5s));
  RawConnection body_stall(server.Port());
  body_stall.Send("POST /v1/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc");
  EXPECT_TRUE(body_stall.WaitClosed(5s));
}

TEST(Server, IdleKeepAliveConnectionsAreClosed) {
  ServerConfig config;
  config.idle_timeout = 300ms;
  TestServer server(PingRouter(), config);
  RawConnection conn(server.Port());
  conn.Send(Get("/v1/ping"));
  ASSERT_TRUE(conn.ReadResponse());
  EXPECT_TRUE(conn.WaitClosed(5s));
}

TEST(Server, ExcessConnectionsGet503AndClose) {
  ServerConfig config;
  config.max_connections = 2;
  TestServer server(PingRouter(), config);
  RawConnection a(server.Port());
  RawConnection b(server.Port());
  for (auto* c : {&a, &b}) {
    c->Send(Get("/v1/ping"));
    auto res = c->ReadResponse();
    ASSERT_TRUE(res);
    EXPECT_EQ(StatusOf(*res), 200);
  }
  RawConnection excess(server.Port());
  auto res = excess.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(StatusOf(*res), 503);
  EXPECT_EQ(nlohmann::json::parse(BodyOf(*res))["error"]["code"], "UNAVAILABLE");
  EXPECT_TRUE(excess.WaitClosed(5s));
  a.Send(Get("/v1/ping"));  // existing connections keep working
  res = a.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(StatusOf(*res), 200);
}

TEST(Server, GracefulShutdownFinishesInFlightAndRefusesNewConnections) {
  std::atomic<bool> started{false};
  Router router;
  router.Get("/v1/slow", [&](const Request&) {
    started = true;
    std::this_thread::sleep_for(800ms);
    return Response::Ok({{"done", true}});
  });
  TestServer server(std::move(router));
  const auto port = server.Port();
  RawConnection idle(port);
  ASSERT_TRUE(idle.Connected());
  RawConnection slow(port);
  slow.Send(Get("/v1/slow"));
  while (!started) std::this_thread::sleep_for(5ms);
  std::thread stopper([&] { server.StopAndWait(); });
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(RawConnection(port).Connected()) << "new connections must be refused";
  EXPECT_TRUE(idle.WaitClosed(2s)) << "idle keep-alive connections are closed";
  auto res = slow.ReadResponse(5s);
  ASSERT_TRUE(res);
  EXPECT_EQ(StatusOf(*res), 200);
  EXPECT_EQ(BodyOf(*res), R"({"done":true})");
  EXPECT_EQ(HeaderOf(*res, "Connection"), "close");
  stopper.join();
}

TEST(Server, StopFromAHandlerReturnsRun) {
  metrics::Registry registry;
  Server* self = nullptr;
  Router router;
  router.Post("/v1/stop", [&](const Request&) {
    self->Stop();
    return Response::Accepted({{"stopping", true}});
  });
  ServerConfig config;
  config.access_log = false;
  Server server(config, std::move(router), registry);
  self = &server;
  server.Listen();
  std::thread runner([&] { server.Run(); });
  RawConnection conn(server.Port());
  conn.Send("POST /v1/stop HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  auto res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(StatusOf(*res), 202);
  runner.join();
}

TEST(Server, ListenOnATakenPortNamesHostAndPort) {
  TestServer first(PingRouter());
  metrics::Registry registry;
  ServerConfig config;
  config.port = first.Port();
  Server second(config, PingRouter(), registry);
  try {
    second.Listen();
    FAIL() << "expected UNAVAILABLE";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kUnavailable);
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(first.Port())),
              std::string::npos)
        << e.what();
  }
}

TEST(Server, CorsPreflightAndSimpleRequests) {
  ServerConfig config;
  config.cors_origins = {"https://console.example"};
  TestServer server(PingRouter(), config);
  RawConnection conn(server.Port());
  conn.Send("OPTIONS /v1/ping HTTP/1.1\r\nHost: x\r\nOrigin: https://console.example\r\n"
            "Access-Control-Request-Method: POST\r\n"
            "Access-Control-Request-Headers: content-type\r\n\r\n");
  auto res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(StatusOf(*res), 204);
  EXPECT_EQ(HeaderOf(*res, "Access-Control-Allow-Origin"), "https://console.example");
  EXPECT_EQ(HeaderOf(*res, "Access-Control-Allow-Headers"), "content-type");
  EXPECT_TRUE(HeaderOf(*res, "Access-Control-Allow-Methods").has_value());
  EXPECT_EQ(HeaderOf(*res, "Vary"), "Origin");
  conn.Send(Get("/v1/ping", "Origin: https://evil.example\r\n"));
  res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_FALSE(HeaderOf(*res, "Access-Control-Allow-Origin").has_value());
  conn.Send(Get("/v1/ping", "Origin: https://console.example\r\n"));
  res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(HeaderOf(*res, "Access-Control-Allow-Origin"), "https://console.example");
}

TEST(Server, ReadyzReportsEachCheck) {
  std::atomic<bool> db_ok{true};
  metrics::Registry registry;
  ServerConfig config;
  config.access_log = false;
  Server server(config, PingRouter(), registry);
  server.AddReadinessCheck("database", [&] { return db_ok.load(); });
  server.AddReadinessCheck("nats", [] { return true; });
  server.Listen();
  std::thread runner([&] { server.Run(); });
  RawConnection conn(server.Port());
  conn.Send(Get("/readyz"));
  auto res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(StatusOf(*res), 200);
  EXPECT_EQ(nlohmann::json::parse(BodyOf(*res)),
            nlohmann::json::parse(R"({"status":"ready","checks":{"database":"ok","nats":"ok"}})"));
  db_ok = false;
  conn.Send(Get("/readyz"));
  res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(StatusOf(*res), 503);
  const auto body = nlohmann::json::parse(BodyOf(*res));
  EXPECT_EQ(body["error"]["code"], "UNAVAILABLE");
  EXPECT_EQ(body["checks"]["database"], "failing");
  EXPECT_EQ(body["checks"]["nats"], "ok");
  EXPECT_EQ(body["error"]["details"][0]["field"], "database");
  conn.Send(Get("/livez"));
  res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(StatusOf(*res), 200);
  server.Stop();
  runner.join();
}

TEST(Server, MetricsUseRoutePatternsAndPassPromtool) {
  std::FILE* probe = ::popen("command -v promtool", "r");
  char buf[256] = {};
  const bool found = std::fgets(buf, sizeof buf, probe) != nullptr;
  ::pclose(probe);
  ASSERT_TRUE(found) << "promtool is not installed; install the Debian package `prometheus`";

  TestServer server(PingRouter());
  RawConnection conn(server.Port());
  for (const char* target : {"/v1/items/1", "/v1/items/2", "/v1/nope", "/v1/boom"}) {
    conn.Send(Get(target));
    ASSERT_TRUE(conn.ReadResponse());
  }
  conn.Send(Get("/metrics"));
  auto res = conn.ReadResponse();
  ASSERT_TRUE(res);
  EXPECT_EQ(StatusOf(*res), 200);
  EXPECT_EQ(HeaderOf(*res, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const auto text = BodyOf(*res);
  EXPECT_NE(text.find(R"(http_requests_total{route="/v1/items/{id}",method="GET",status="200"} 2)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(http_requests_total{route="unmatched",method="GET",status="404"} 1)"),
            std::string::npos);
  EXPECT_EQ(text.find("/v1/items/1"), std::string::npos) << "raw paths must not become labels";
  EXPECT_NE(text.find("http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(text.find("http_connections_open 1"), std::string::npos);
  EXPECT_NE(text.find("http_requests_in_flight 1"), std::string::npos);

  const auto path = std::filesystem::temp_directory_path() /
                    ("dbaas_http_metrics_" + std::to_string(::getpid()) + ".prom");
  std::ofstream(path) << text;
  std::FILE* pipe = ::popen(("promtool check metrics < " + path.string() + " 2>&1").c_str(), "r");
  std::string output;
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  const int status = ::pclose(pipe);
  std::filesystem::remove(path);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_EQ(output, "");
}

// Per-client limits (login failures, rate limits) key on Request::ClientAddress: behind a
// trusted proxy it is the address the proxy forwarded, and from anyone else it is the peer's,
// whatever X-Forwarded-For the client sends.
TEST(Server, ClientAddressBelievesForwardedForOnlyFromTrustedProxies) {
  const auto echo_client = [] {
    Router router;
    router.Add(Method::kGet, "/who", [](const Request& req) {
      return Response::Text(200, req.ClientAddress());
    });
    return router;
  };
  const std::string request =
      "GET /who HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.1.1.1, 203.0.113.7\r\n\r\n";

  ServerConfig trusting;
  trusting.access_log = false;
  trusting.trusted_proxies = {"127.0.0.1"};
  TestServer behind_proxy(echo_client(), trusting);
  RawConnection via_proxy(behind_proxy.Port());
  ASSERT_TRUE(via_proxy.Send(request));
  auto answer = via_proxy.ReadResponse();
  ASSERT_TRUE(answer);
  EXPECT_EQ(BodyOf(*answer), "203.0.113.7");

  ServerConfig edge;
  edge.access_log = false;
  TestServer at_edge(echo_client(), edge);
  RawConnection direct(at_edge.Port());
  ASSERT_TRUE(direct.Send(request));
  answer = direct.ReadResponse();
  ASSERT_TRUE(answer);
  EXPECT_EQ(BodyOf(*answer), "127.0.0.1");
}

}  // namespace
}  // namespace dbaas::http

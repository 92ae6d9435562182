// Asynchronous routes, AsyncClient forwarding on the I/O thread, Offload and the response
// decorator, against real servers on loopback ports.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "dbaas/common/error.hpp"
#include "dbaas/http/async.hpp"
#include "dbaas/http/client.hpp"
#include "test_server.hpp"

namespace dbaas::http {
namespace {

using namespace std::chrono_literals;
using testing::RawConnection;
using testing::TestServer;

std::string Base(const TestServer& server) {
  return "http://127.0.0.1:" + std::to_string(server.Port());
}

// The backend: /who answers the peer address, /echo the request body, /slow sleeps
// ?ms=N first, /big answers ?bytes=N bytes.
Router BackendRouter() {
  Router router;
  router.Get("/who", [](const Request& req) {
    return Response::Ok({{"remote", req.RemoteAddress()}});
  });
  router.Post("/echo", [](const Request& req) {
    return Response::Text(200, req.Body(), "application/octet-stream");
  });
  router.Get("/slow", [](const Request& req) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(req.Query("ms").value_or("0"))));
    return Response::Ok({{"slept", true}});
  });
  router.Get("/big", [](const Request& req) {
    return Response::Text(200, std::string(std::stoul(req.Query("bytes").value_or("0")), 'b'));
  });
  return router;
}

// A proxy whose asynchronous routes forward GET and POST /{name} to `*base` with `client`;
// a client error becomes the standard error response.
Router ProxyRouter(AsyncClient& client, const std::string* base) {
  Router router;
  const auto forward = [&client, base](const Request& req, Reply reply) {
    EXPECT_TRUE(OnIoThread());
    ClientRequest out;
    out.method = req.GetMethod();
    out.url = *base + req.Target();
    out.body = req.Body();
    const std::string request_id = req.RequestId();
    client.Send(std::move(out), [reply, request_id](AsyncResult result) {
      EXPECT_TRUE(OnIoThread()) << "the answer arrives on the I/O thread";
      if (!result.response) {
        reply(ErrorResponse(*result.error, request_id));
        return;
      }
      Response res;
      res.status = result.response->status;
      res.body = std::move(result.response->body);
      res.headers = std::move(result.response->headers);
      res.headers.Remove("Content-Length");
      reply(std::move(res));
    });
  };
  router.AddAsync(Method::kGet, "/{name}", forward);
  router.AddAsync(Method::kPost, "/{name}", forward);
  return router;
}

struct Proxy {
  explicit Proxy(ClientConfig config = {}, ServerConfig server = {})
      : client(std::move(config)),
        backend(std::make_unique<TestServer>(BackendRouter(), server)),
        base(Base(*backend)),
        proxy(ProxyRouter(client, &base), server) {}

  ClientResponse Call(Method method, const std::string& target, std::string body = {}) {
    ClientRequest req;
    req.method = method;
    req.url = Base(proxy) + target;
    req.body = std::move(body);
    return caller.Send(std::move(req));
  }

  AsyncClient client;
  std::unique_ptr<TestServer> backend;
  std::string base;
  TestServer proxy;
  Client caller{[] {
    ClientConfig c;
    c.max_attempts = 1;
    c.breaker.failure_threshold = 1000;  // the proxy's 503s must reach the test
    return c;
  }()};
};

TEST(AsyncClient, ReusesKeepAliveConnectionsOnTheIoThread) {
  Proxy p;
  const auto first = p.Call(Method::kGet, "/who");
  ASSERT_EQ(first.status, 200) << first.body;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(p.Call(Method::kGet, "/who").Json()["remote"], first.Json()["remote"])
        << "every forward should reuse the one pooled upstream connection";
  }
}

TEST(AsyncClient, ConcurrentRequestsGetTheirOwnAnswers) {
  ServerConfig server;
  server.io_threads = 2;
  Proxy p({}, server);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Client client;
      for (int i = 0; i < 25; ++i) {
        const auto body = "thread " + std::to_string(t) + " request " + std::to_string(i);
        ClientRequest req;
        req.method = Method::kPost;
        req.url = Base(p.proxy) + "/echo";
        req.body = body;
        const auto r = client.Send(req);
        if (r.status != 200 || r.body != body) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(AsyncClient, ForwardsLargeBodiesBothWaysAndEnforcesTheResponseLimit) {
  ServerConfig server;
  server.max_body_bytes = 8 * 1024 * 1024;
  ClientConfig config;
  config.max_response_bytes = 4 * 1024 * 1024;
  Proxy p(config, server);
  std::string body(3 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  const auto echoed = p.Call(Method::kPost, "/echo", body);
  ASSERT_EQ(echoed.status, 200);
  EXPECT_TRUE(echoed.body == body) << "a 3 MiB body must cross the proxy unchanged";
  EXPECT_EQ(p.Call(Method::kGet, "/big?bytes=2000000").body.size(), 2000000u);
  const auto too_big = p.Call(Method::kGet, "/big?bytes=5000000");
  EXPECT_EQ(too_big.status, 503) << "a response over max_response_bytes is refused";
}

TEST(AsyncClient, ConnectionsTheUpstreamClosedWhileIdleAreNotUsed) {
  ServerConfig backend_config;
  backend_config.idle_timeout = 50ms;  // the backend closes idle keep-alive connections
  AsyncClient client;
  TestServer backend(BackendRouter(), backend_config);
  const std::string base = Base(backend);
  TestServer proxy(ProxyRouter(client, &base));
  ClientConfig once;
  once.max_attempts = 1;
  Client caller(once);
  ClientRequest get;
  get.url = Base(proxy) + "/who";
  ClientRequest post;
  post.method = Method::kPost;
  post.url = Base(proxy) + "/echo";
  post.body = "once";
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(caller.Send(get).status, 200);
    ASSERT_EQ(caller.Send(post).body, "once");
    std::this_thread::sleep_for(200ms);  // every pooled connection is closed by now
    EXPECT_EQ(caller.Send(get).status, 200) << "a GET is repeated on a new connection";
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(caller.Send(post).body, "once") << "a POST never goes out on a closed connection";
  }
}

TEST(AsyncClient, UpstreamThatDiesMidRunIsUnavailableQuickly) {
  ClientConfig config;
  config.breaker.failure_threshold = 3;
  config.breaker.open_duration = 10s;
  Proxy p(config);
  ASSERT_EQ(p.Call(Method::kGet, "/who").status, 200);
  p.backend->StopAndWait();
  p.backend.reset();
  for (int i = 0; i < 6; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const auto r = p.Call(Method::kGet, "/who");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.Json()["error"]["code"], "UNAVAILABLE");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
    if (i >= 3) {
      EXPECT_NE(r.body.find("circuit open"), std::string::npos) << r.body;
    }
  }
  EXPECT_EQ(p.client.BreakerState("127.0.0.1", static_cast<std::uint16_t>(
                                                   std::stoi(p.base.substr(p.base.rfind(':') + 1)))),
            CircuitBreaker::State::kOpen);
}

TEST(AsyncClient, TimesOutASlowUpstream) {
  ClientConfig config;
  config.request_timeout = 200ms;
  config.max_attempts = 1;
  Proxy p(config);
  const auto start = std::chrono::steady_clock::now();
  const auto r = p.Call(Method::kGet, "/slow?ms=1500");
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_EQ(r.Json()["error"]["code"], "DEADLINE_EXCEEDED");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);
  EXPECT_EQ(p.Call(Method::kGet, "/slow?ms=0").status, 200) << "a new connection is used";
}

TEST(AsyncClient, RetriesIdempotentRequestsOnly) {
  std::atomic<int> calls{0};
  Router flaky;
  const auto handler = [&calls](const Request&) {
    return ++calls % 2 == 1 ? Response::Text(503, "busy") : Response::Ok({{"ok", true}});
  };
  flaky.Get("/flaky", handler);
  flaky.Post("/flaky", handler);
  TestServer backend(std::move(flaky));
  const std::string base = Base(backend);
  ClientConfig config;
  config.max_attempts = 2;
  config.backoff = {1ms, 5ms};
  AsyncClient client(config);
  TestServer proxy(ProxyRouter(client, &base));
  ClientConfig once;
  once.max_attempts = 1;
  Client caller(once);
  ClientRequest get;
  get.url = Base(proxy) + "/flaky";
  EXPECT_EQ(caller.Send(get).status, 200) << "the GET is retried after a 503";
  EXPECT_EQ(calls.load(), 2);
  ClientRequest post = get;
  post.method = Method::kPost;
  EXPECT_EQ(caller.Send(post).status, 503) << "a POST without Idempotency-Key is not retried";
  EXPECT_EQ(calls.load(), 3);
}

TEST(AsyncClient, SendOffAnIoThreadIsRefused) {
  AsyncClient client;
  ClientRequest req;
  req.url = "http://127.0.0.1:1/";
  try {
    client.Send(req, [](AsyncResult) {});
    FAIL() << "expected FAILED_PRECONDITION";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kFailedPrecondition);
  }
}

TEST(AsyncRoute, OffloadRunsBlockingWorkOnThePoolAndContinuesOnTheIoThread) {
  Router router;
  router.AddAsync(Method::kGet, "/work", [](const Request&, Reply reply) {
    auto pooled = std::make_shared<bool>(true);
    Offload([pooled] { *pooled = OnIoThread(); },
            [pooled, reply] {
              reply(Response::Ok({{"pooled_on_io", *pooled}, {"then_on_io", OnIoThread()}}));
            });
  });
  TestServer server(std::move(router));
  Client client;
  ClientRequest req;
  req.url = Base(server) + "/work";
  const auto body = client.Send(req).Json();
  EXPECT_EQ(body["pooled_on_io"], false);
  EXPECT_EQ(body["then_on_io"], true);
}

TEST(AsyncRoute, ThrowingAndDroppingHandlersStillAnswer) {
  Router router;
  router.AddAsync(Method::kGet, "/throws", [](const Request&, Reply) {
    throw Error(ErrorCode::kNotFound, "nothing here");
  });
  router.AddAsync(Method::kGet, "/drops", [](const Request&, Reply) {});
  router.AddAsync(Method::kGet, "/twice", [](const Request&, Reply reply) {
    reply(Response::Ok({{"n", 1}}));
    reply(Response::Ok({{"n", 2}}));
  });
  TestServer server(std::move(router));
  Client client;
  ClientRequest req;
  req.url = Base(server) + "/throws";
  EXPECT_EQ(client.Send(req).status, 404);
  req.url = Base(server) + "/drops";
  EXPECT_EQ(client.Send(req).status, 500);
  req.url = Base(server) + "/twice";
  EXPECT_EQ(client.Send(req).Json()["n"], 1);
  EXPECT_EQ(client.Send(req).Json()["n"], 1) << "the connection is still in sync";
}

TEST(ResponseDecorator, DecoratesEveryAnswerTheServerWrites) {
  Router router;
  router.Get("/ok", [](const Request&) { return Response::Ok({{"ok", true}}); });
  router.AddAsync(Method::kGet, "/async", [](const Request&, Reply reply) {
    reply(Response::Ok({{"ok", true}}));
  });
  router.SetResponseDecorator([](const Request& request, Response& response) {
    response.SetHeader("X-Decorated", std::string(request.MethodName()) + " " +
                                          std::to_string(response.status));
  });
  ServerConfig config;
  config.max_body_bytes = 16;
  config.cors_origins = {"*"};
  TestServer server(std::move(router), config);

  const auto raw = [&](const std::string& bytes) {
    RawConnection conn(server.Port());
    EXPECT_TRUE(conn.Send(bytes));
    return conn.ReadResponse().value_or("");
  };
  const auto decorated = [&](const std::string& bytes, int status) {
    const auto response = raw(bytes);
    EXPECT_EQ(testing::StatusOf(response), status) << response;
    return testing::HeaderOf(response, "X-Decorated").value_or("<none>");
  };
  EXPECT_EQ(decorated("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n", 200), "GET 200");
  EXPECT_EQ(decorated("GET /async HTTP/1.1\r\nHost: x\r\n\r\n", 200), "GET 200");
  EXPECT_EQ(decorated("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404), "GET 404");
  EXPECT_EQ(decorated("DELETE /ok HTTP/1.1\r\nHost: x\r\n\r\n", 405), "DELETE 405");
  EXPECT_EQ(decorated("OPTIONS /ok HTTP/1.1\r\nHost: x\r\nOrigin: https://a.example\r\n"
                      "Access-Control-Request-Method: GET\r\n\r\n",
                      204),
            "OPTIONS 204");
  EXPECT_EQ(decorated("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n", 200), "GET 200");
  EXPECT_EQ(decorated("POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n", 413),
            "POST 413");
  EXPECT_EQ(decorated("GET /ok HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400), "GET 400");
}

}  // namespace
}  // namespace dbaas::http

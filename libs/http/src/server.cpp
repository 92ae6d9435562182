#include "dbaas/http/server.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_set>

#include "dbaas/common/error.hpp"
#include "dbaas/common/id.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/metrics/registry.hpp"

namespace dbaas::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using BeastRequest = bhttp::request<bhttp::string_body>;
using BeastResponse = bhttp::response<bhttp::string_body>;
using Clock = std::chrono::steady_clock;

constexpr auto kLingerTime = std::chrono::milliseconds(500);
constexpr std::size_t kLingerBytes = 1024 * 1024;
constexpr std::size_t kMaxRequestIdLength = 128;
constexpr std::string_view kUnmatchedRoute = "unmatched";

std::string_view View(beast::string_view text) { return {text.data(), text.size()}; }

bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The exception barrier: the only place a handler's exception becomes a response.
Response Guarded(const Handler& handler, const Request& request) {
  try {
    return handler(request);
  } catch (const dbaas::Error& e) {
    if (HttpStatus(e.Code()) >= 500) {
      log::Error("request failed", {{"request_id", request.RequestId()},
                                    {"code", std::string(ErrorCodeName(e.Code()))},
                                    {"error", e.what()}});
    }
    return ErrorResponse(e, request.RequestId());
  } catch (const std::exception& e) {
    log::Error("unhandled exception in handler",
               {{"request_id", request.RequestId()}, {"route", request.RoutePattern()},
                {"error", e.what()}});
  } catch (...) {
    log::Error("unhandled non-standard exception in handler",
               {{"request_id", request.RequestId()}, {"route", request.RoutePattern()}});
  }
  return ErrorResponse(Error(ErrorCode::kInternal, "internal error"), request.RequestId());
}

// What the access log and the metrics need to know about one answered request.
struct Exchange {
  std::string route{kUnmatchedRoute};
  std::string method = "OTHER";
  std::string path;
  std::string request_id;
};

// One connection's control block, shared between its coroutine and Stop().
// `idle` and `close` are only touched on the connection's executor.
struct Connection {
  net::any_io_executor executor;
  bool idle = false;
  std::function<void()> close;
};

}  // namespace

struct Server::Impl {
  Impl(ServerConfig c, Router r, metrics::Registry& reg);
  ~Impl();

  void Listen();
  void Run();
  void Stop();

  net::awaitable<void> AcceptLoop();
  void StartConnection(tcp::socket socket);
  template <typename Stream>
  net::awaitable<void> Serve(Stream stream, std::string remote, bool reject,
                             std::shared_ptr<Connection> conn);
  template <typename Stream>
  net::awaitable<void> Linger(Stream& stream);
  template <typename Stream>
  net::awaitable<bool> WriteResponse(Stream& stream, Response res, const BeastRequest* req,
                                     bool keep_alive);
  net::awaitable<Response> Handle(BeastRequest& breq, const std::string& remote,
                                  Exchange& exchange);
  net::awaitable<Response> RunOnPool(std::function<Response()> work);
  Response Readiness(const Request& request) const;
  void Finish(Response& res, const std::string& request_id) const;
  void Record(const Exchange& exchange, int status, Clock::time_point start,
              const std::string& remote);
  Response ProtocolError(const Error& e, int status_override, Exchange& exchange) const;
  void Unregister(const std::shared_ptr<Connection>& conn);

  ServerConfig config;
  Router router;
  Router builtins;
  metrics::Registry& registry;
  metrics::CounterFamily& requests_total;
  metrics::HistogramFamily& request_duration;
  metrics::Gauge& connections_open;
  metrics::Gauge& requests_in_flight;
  metrics::Counter& connections_rejected;
  std::vector<std::pair<std::string, std::function<bool()>>> readiness_checks;

  std::unique_ptr<net::io_context> ioc;
  std::optional<net::ssl::context> ssl_ctx;
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::signal_set> signals;
  net::thread_pool pool;
  std::vector<std::thread> io_threads;

  std::atomic<bool> draining{false};
  std::atomic<std::size_t> open_connections{0};
  bool listening = false;
  bool ran = false;
  std::uint16_t bound_port = 0;

  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stop_requested = false;

  std::mutex connections_mutex;
  std::condition_variable connections_cv;
  std::unordered_set<std::shared_ptr<Connection>> connections;
};

Server::Impl::Impl(ServerConfig c, Router r, metrics::Registry& reg)
    : config(std::move(c)),
      router(std::move(r)),
      registry(reg),
      requests_total(reg.Counter("http_requests_total", "HTTP requests answered.",
                                 {"route", "method", "status"})),
      request_duration(reg.Histogram("http_request_duration_seconds",
                                     "Time from a parsed HTTP request to its written response.",
                                     {"route", "method"})),
      connections_open(reg.Gauge("http_connections_open", "Open HTTP connections.").Get()),
      requests_in_flight(
          reg.Gauge("http_requests_in_flight", "HTTP requests being handled.").Get()),
      connections_rejected(reg.Counter("http_connections_rejected_total",
                                       "Connections refused because max_connections was reached.")
                               .Get()),
      ioc(std::make_unique<net::io_context>(std::max(config.io_threads, 1))),
      pool(static_cast<std::size_t>(std::max(config.handler_threads, 1))) {
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "TLS needs both a certificate and a key file");
  }
  if (config.TlsEnabled()) {
    ssl_ctx.emplace(net::ssl::context::tls_server);
    ssl_ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                         net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                         net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
    beast::error_code ec;
    ssl_ctx->use_certificate_chain_file(config.tls_cert_file, ec);
    if (ec) {
      throw Error(ErrorCode::kInvalidArgument,
                  "cannot load TLS certificate " + config.tls_cert_file + ": " + ec.message());
    }
    ssl_ctx->use_private_key_file(config.tls_key_file, net::ssl::context::pem, ec);
    if (ec) {
      throw Error(ErrorCode::kInvalidArgument,
                  "cannot load TLS key " + config.tls_key_file + ": " + ec.message());
    }
  }
  builtins.Get("/livez", [](const Request&) { return Response::Ok({{"status", "ok"}}); },
               {.non_blocking = true});
  builtins.Get("/readyz", [this](const Request& request) { return Readiness(request); });
  builtins.Get("/metrics",
               [this](const Request&) {
                 return Response::Text(200, registry.Expose(),
                                       std::string(metrics::kExpositionContentType));
               },
               {.non_blocking = true});
}

Server::Impl::~Impl() {
  // Connections still queued on the io_context reference this object; destroy them first.
  if (!ran) {
    acceptor.reset();
    signals.reset();
  }
  pool.join();
  ioc->stop();
  for (auto& t : io_threads) {
    if (t.joinable()) t.join();
  }
  acceptor.reset();
  signals.reset();
  ioc.reset();
}

void Server::Impl::Listen() {
  if (listening) return;
  beast::error_code ec;
  const std::string host = config.host == "localhost" ? "127.0.0.1" : config.host;
  const auto where = config.host + ":" + std::to_string(config.port);
  auto address = net::ip::make_address(host, ec);
  if (ec) {
    tcp::resolver resolver(*ioc);
    auto results = resolver.resolve(host, std::to_string(config.port), ec);
    if (ec || results.empty()) {
      throw Error(ErrorCode::kUnavailable, "cannot resolve listen address " + where);
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, config.port);
  acceptor.emplace(*ioc);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor.reset();
    throw Error(ErrorCode::kUnavailable, "cannot listen on " + where + ": " + ec.message(), {},
                {"choose another port with DBAAS_HTTP_PORT or stop the process using " + where});
  }
  bound_port = acceptor->local_endpoint().port();
  listening = true;
}

void Server::Impl::Run() {
  if (ran) throw Error(ErrorCode::kFailedPrecondition, "Server::Run may be called only once");
  Listen();
  ran = true;
  signals.emplace(*ioc, SIGINT, SIGTERM);
  signals->async_wait([this](const beast::error_code& ec, int signal) {
    if (ec) return;
    log::Info("signal received, shutting down", {{"signal", signal}});
    Stop();
  });
  net::co_spawn(*ioc, AcceptLoop(), net::detached);
  auto work = net::make_work_guard(*ioc);
  for (int i = 0; i < std::max(config.io_threads, 1); ++i) {
    io_threads.emplace_back([this] {
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          log::Error("uncaught exception on the I/O loop", {{"error", e.what()}});
        }
      }
    });
  }
  log::Info("listening", {{"server", config.service}, {"host", config.host},
                          {"port", static_cast<int>(bound_port)}, {"tls", config.TlsEnabled()}});

  {
    std::unique_lock lock(stop_mutex);
    stop_cv.wait(lock, [this] { return stop_requested; });
  }
  draining = true;
  net::post(*ioc, [this] {
    beast::error_code ignored;
    acceptor->close(ignored);
    signals->cancel(ignored);
  });
  {
    std::lock_guard lock(connections_mutex);
    for (const auto& conn : connections) {
      net::post(conn->executor, [conn] {
        if (conn->idle && conn->close) conn->close();
      });
    }
  }
  std::unique_lock lock(connections_mutex);
  const bool drained = connections_cv.wait_for(lock, config.shutdown_grace,
                                               [this] { return connections.empty(); });
  if (!drained) {
    log::Warn("shutdown grace period over, closing connections",
              {{"connections", static_cast<std::int64_t>(connections.size())}});
    for (const auto& conn : connections) {
      net::post(conn->executor, [conn] {
        if (conn->close) conn->close();
      });
    }
    connections_cv.wait_for(lock, std::chrono::seconds(1), [this] { return connections.empty(); });
  }
  lock.unlock();
  pool.join();
  work.reset();
  ioc->stop();
  for (auto& t : io_threads) t.join();
  io_threads.clear();
  log::Info("stopped", {{"server", config.service}, {"port", static_cast<int>(bound_port)}});
}

void Server::Impl::Stop() {
  {
    std::lock_guard lock(stop_mutex);
    stop_requested = true;
  }
  stop_cv.notify_all();
}

net::awaitable<void> Server::Impl::AcceptLoop() {
  for (;;) {
    beast::error_code ec;
    auto executor = config.io_threads > 1 ? net::any_io_executor(net::make_strand(*ioc))
                                          : net::any_io_executor(ioc->get_executor());
    tcp::socket socket =
        co_await acceptor->async_accept(executor, net::redirect_error(net::use_awaitable, ec));
    if (draining || !acceptor->is_open()) co_return;
    if (ec) {
      // Typically EMFILE: back off instead of spinning on the error.
      log::Warn("accept failed", {{"error", ec.message()}});
      net::steady_timer timer(*ioc, std::chrono::milliseconds(50));
      co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    StartConnection(std::move(socket));
  }
}

void Server::Impl::StartConnection(tcp::socket socket) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  std::string remote;
  const auto endpoint = socket.remote_endpoint(ec);
  if (!ec) remote = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  const bool reject = open_connections.fetch_add(1) >= config.max_connections;
  connections_open.Inc();
  auto conn = std::make_shared<Connection>();
  conn->executor = socket.get_executor();
  {
    std::lock_guard lock(connections_mutex);
    connections.insert(conn);
  }
  if (ssl_ctx) {
    net::co_spawn(conn->executor,
                  Serve(TlsStream(std::move(socket), *ssl_ctx), std::move(remote), reject, conn),
                  net::detached);
  } else {
    net::co_spawn(conn->executor,
                  Serve(PlainStream(std::move(socket)), std::move(remote), reject, conn),
                  net::detached);
  }
}

void Server::Impl::Unregister(const std::shared_ptr<Connection>& conn) {
  conn->close = nullptr;
  open_connections.fetch_sub(1);
  connections_open.Dec();
  {
    std::lock_guard lock(connections_mutex);
    connections.erase(conn);
  }
  connections_cv.notify_all();
}

template <typename Stream>
net::awaitable<void> Server::Impl::Linger(Stream& stream) {
  beast::error_code ec;
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(kLingerTime);
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ec));
  } else {
    // Half-close, then drain what the client is still sending: closing with unread data would
    // make the kernel reset the connection and the client could lose our error response.
    lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
    char scratch[4096];
    std::size_t drained = 0;
    while (!ec && drained < kLingerBytes) {
      drained += co_await lowest.async_read_some(net::buffer(scratch),
                                                 net::redirect_error(net::use_awaitable, ec));
    }
  }
  lowest.close();
}

template <typename Stream>
net::awaitable<bool> Server::Impl::WriteResponse(Stream& stream, Response res,
                                                 const BeastRequest* req, bool keep_alive) {
  BeastResponse out{static_cast<bhttp::status>(res.status), req != nullptr ? req->version() : 11};
  for (const auto& [name, value] : res.headers) out.insert(name, value);
  out.body() = std::move(res.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  if (req != nullptr && req->method() == bhttp::verb::head) out.body().clear();
  beast::error_code ec;
  beast::get_lowest_layer(stream).expires_after(config.read_timeout);
  co_await bhttp::async_write(stream, out, net::redirect_error(net::use_awaitable, ec));
  co_return !ec;
}

Response Server::Impl::ProtocolError(const Error& e, int status_override,
                                     Exchange& exchange) const {
  exchange.request_id = GenerateId("req");
  auto res = ErrorResponse(e, exchange.request_id);
  if (status_override != 0) res.status = status_override;
  Finish(res, exchange.request_id);
  return res;
}

template <typename Stream>
net::awaitable<void> Server::Impl::Serve(Stream stream, std::string remote, bool reject,
                                         std::shared_ptr<Connection> conn) {
  auto& lowest = beast::get_lowest_layer(stream);
  conn->close = [&lowest] { lowest.close(); };
  beast::error_code ec;
  try {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      lowest.expires_after(config.read_timeout);
      co_await stream.async_handshake(net::ssl::stream_base::server,
                                      net::redirect_error(net::use_awaitable, ec));
    }
    if (ec) {
      lowest.close();
    } else if (reject) {
      connections_rejected.Inc();
      Exchange exchange;
      auto res = ProtocolError(
          Error(ErrorCode::kUnavailable, "too many open connections", {},
                {"retry later", "reuse keep-alive connections instead of opening new ones"}),
          0, exchange);
      Record(exchange, res.status, Clock::now(), remote);
      res.SetHeader("Retry-After", "1");
      if (co_await WriteResponse(stream, std::move(res), nullptr, false)) co_await Linger(stream);
      lowest.close();
    } else {
      beast::flat_buffer buffer;
      for (;;) {
        if (buffer.size() == 0) {
          conn->idle = true;
          if (draining) break;
          lowest.expires_after(config.idle_timeout);
          const auto n = co_await stream.async_read_some(
              buffer.prepare(4096), net::redirect_error(net::use_awaitable, ec));
          conn->idle = false;
          if (ec) break;  // idle timeout, peer closed, or shutdown closed an idle connection
          buffer.commit(n);
        }
        lowest.expires_after(config.read_timeout);
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
        parser.body_limit(config.max_body_bytes);
        co_await bhttp::async_read(stream, buffer, parser,
                                   net::redirect_error(net::use_awaitable, ec));
        if (ec) {
          Exchange exchange;
          std::optional<Response> error;
          if (ec == bhttp::error::body_limit) {
            error = ProtocolError(
                Error(ErrorCode::kPayloadTooLarge,
                      "request body exceeds " + std::to_string(config.max_body_bytes) + " bytes"),
                0, exchange);
          } else if (ec == bhttp::error::header_limit) {
            error = ProtocolError(
                Error(ErrorCode::kInvalidArgument,
                      "request headers exceed " + std::to_string(config.max_header_bytes) +
                          " bytes"),
                431, exchange);
          } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
                     ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
            error = ProtocolError(
                Error(ErrorCode::kInvalidArgument, "malformed HTTP request: " + ec.message()), 400,
                exchange);
          }
          if (error) {
            Record(exchange, error->status, Clock::now(), remote);
            if (co_await WriteResponse(stream, std::move(*error), nullptr, false)) {
              co_await Linger(stream);
            }
          }
          break;  // also: timeout, reset, or the peer closed mid-request
        }
        auto& request = parser.get();
        const auto start = Clock::now();
        requests_in_flight.Inc();
        Exchange exchange;
        auto res = co_await Handle(request, remote, exchange);
        const bool keep_alive = request.keep_alive() && !draining;
        const int status = res.status;
        const bool written = co_await WriteResponse(stream, std::move(res), &request, keep_alive);
        requests_in_flight.Dec();
        Record(exchange, status, start, remote);
        if (!written) break;
        if (!keep_alive) {
          co_await Linger(stream);
          break;
        }
      }
      lowest.close();
    }
  } catch (const std::exception& e) {
    log::Error("connection failed", {{"remote", remote}, {"error", e.what()}});
    lowest.close();
  }
  Unregister(conn);
}

net::awaitable<Response> Server::Impl::RunOnPool(std::function<Response()> work) {
  // Hands `work` to the handler pool and resumes this coroutine on its own executor with the
  // result, so blocking handlers never stall the I/O threads.
  co_return co_await net::async_initiate<const net::use_awaitable_t<>&, void(Response)>(
      [this](auto handler, std::function<Response()> job) {
        auto executor = net::get_associated_executor(handler);
        net::post(pool, [handler = std::move(handler), job = std::move(job), executor]() mutable {
          auto res = job();
          net::post(executor, [handler = std::move(handler), res = std::move(res)]() mutable {
            handler(std::move(res));
          });
        });
      },
      net::use_awaitable, std::move(work));
}

net::awaitable<Response> Server::Impl::Handle(BeastRequest& breq, const std::string& remote,
                                              Exchange& exchange) {
  std::string request_id;
  if (auto it = breq.find("X-Request-Id"); it != breq.end() && IsSaneRequestId(View(it->value()))) {
    request_id = std::string(it->value());
  } else {
    request_id = GenerateId("req");
  }
  const auto method = ParseMethod(View(breq.method_string()));
  Request request;
  try {
    if (!method) {
      throw Error(ErrorCode::kMethodNotAllowed,
                  "method " + std::string(breq.method_string()) + " is not supported");
    }
    exchange.method = MethodName(*method);
    request = Request(*method, std::string(breq.target()));
  } catch (const Error& e) {
    exchange.path = std::string(breq.target().substr(0, 256));
    exchange.request_id = request_id;
    auto res = ErrorResponse(e, request_id);
    Finish(res, request_id);
    co_return res;
  }
  exchange.path = request.Path();
  exchange.request_id = request_id;
  request.SetRequestId(std::move(request_id));
  request.SetRemoteAddress(remote);
  for (const auto& field : breq) {
    request.AddHeader(std::string(field.name_string()), std::string(field.value()));
  }
  request.SetBody(std::move(breq.body()));

  Response res;
  const auto origin = request.Header("Origin");
  const bool cors_allowed =
      origin && std::any_of(config.cors_origins.begin(), config.cors_origins.end(),
                            [&](const std::string& o) { return o == "*" || o == *origin; });
  if (cors_allowed && *method == Method::kOptions &&
      request.Header("Access-Control-Request-Method")) {
    exchange.route = "preflight";
    res = Response::NoContent();
    res.SetHeader("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    res.SetHeader("Access-Control-Allow-Headers",
                  request.Header("Access-Control-Request-Headers")
                      .value_or("Authorization, Content-Type, Idempotency-Key, If-Match, "
                                "X-Request-Id"));
    res.SetHeader("Access-Control-Max-Age", "600");
  } else {
    auto match = builtins.Match(*method, request.RawPath());
    const Router* owner = &builtins;
    if (match.outcome == RouteMatch::Outcome::kNotFound) {
      match = router.Match(*method, request.RawPath());
      owner = &router;
    }
    if (match.outcome == RouteMatch::Outcome::kMatched) {
      exchange.route = match.pattern;
      request.SetRoute(std::move(match.pattern), std::move(match.params));
      const Handler& handler = *match.handler;
      if (match.options.non_blocking) {
        res = Guarded(handler, request);
      } else {
        res = co_await RunOnPool([&handler, &request] { return Guarded(handler, request); });
      }
    } else {
      res = ErrorResponse(owner->MatchError(request, match), request.RequestId());
      if (match.outcome == RouteMatch::Outcome::kMethodNotAllowed) {
        res.SetHeader("Allow", match.AllowHeader());
      }
    }
  }
  if (cors_allowed) {
    res.SetHeader("Access-Control-Allow-Origin", *origin);
    res.SetHeader("Access-Control-Expose-Headers", "X-Request-Id, ETag, Location, Retry-After");
    res.headers.Add("Vary", "Origin");
  }
  Finish(res, request.RequestId());
  co_return res;
}

void Server::Impl::Finish(Response& res, const std::string& request_id) const {
  res.SetHeader("X-Request-Id", request_id);
  res.SetHeader("X-Content-Type-Options", "nosniff");
  res.SetHeader("X-Frame-Options", "DENY");
  if (res.status >= 400 && !res.headers.Has("Cache-Control")) {
    res.SetHeader("Cache-Control", "no-store");
  }
  if (config.TlsEnabled()) {
    res.SetHeader("Strict-Transport-Security", "max-age=31536000");
  }
}

void Server::Impl::Record(const Exchange& exchange, int status, Clock::time_point start,
                          const std::string& remote) {
  const std::chrono::duration<double> elapsed = Clock::now() - start;
  requests_total.WithLabels({exchange.route, exchange.method, std::to_string(status)}).Inc();
  request_duration.WithLabels({exchange.route, exchange.method}).Observe(elapsed.count());
  if (config.access_log) {
    log::Info("request", {{"method", exchange.method},
                          {"route", exchange.route},
                          {"path", exchange.path},
                          {"status", status},
                          {"duration_ms", elapsed.count() * 1000.0},
                          {"request_id", exchange.request_id},
                          {"remote", remote}});
  }
}

Response Server::Impl::Readiness(const Request& request) const {
  nlohmann::json checks = nlohmann::json::object();
  std::vector<FieldViolation> failing;
  for (const auto& [name, check] : readiness_checks) {
    bool ok = false;
    std::string issue = "check failed";
    try {
      ok = check();
    } catch (const std::exception& e) {
      issue = e.what();
    } catch (...) {
      issue = "check threw";
    }
    checks[name] = ok ? "ok" : "failing";
    if (!ok) failing.push_back({name, issue});
  }
  if (failing.empty()) return Response::Ok({{"status", "ready"}, {"checks", checks}});
  std::string names;
  for (const auto& f : failing) names += (names.empty() ? "" : ", ") + f.field;
  // The standard error body, plus the per-check summary probes and operators look for.
  auto res = ErrorResponse(Error(ErrorCode::kUnavailable, "not ready: " + names, failing),
                           request.RequestId());
  auto body = nlohmann::json::parse(res.body);
  body["status"] = "not_ready";
  body["checks"] = checks;
  res.body = body.dump();
  return res;
}

Server::Server(ServerConfig config, Router router, metrics::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(router), registry)) {}

Server::~Server() = default;

void Server::AddReadinessCheck(std::string name, std::function<bool()> check) {
  impl_->readiness_checks.emplace_back(std::move(name), std::move(check));
}

void Server::Listen() { impl_->Listen(); }
void Server::Run() { impl_->Run(); }
void Server::Stop() { impl_->Stop(); }
std::uint16_t Server::Port() const { return impl_->bound_port; }

}  // namespace dbaas::http

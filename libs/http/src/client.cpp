#include "dbaas/http/client.hpp"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <charconv>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <type_traits>

#include "dbaas/common/error.hpp"
#include "dbaas/common/json.hpp"
#include "endpoint.hpp"

namespace dbaas::http {
namespace {

using detail::Endpoint;
using detail::ParseEndpoint;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using SteadyClock = std::chrono::steady_clock;

bhttp::verb ToVerb(Method method) {
  switch (method) {
    case Method::kGet: return bhttp::verb::get;
    case Method::kHead: return bhttp::verb::head;
    case Method::kPost: return bhttp::verb::post;
    case Method::kPut: return bhttp::verb::put;
    case Method::kPatch: return bhttp::verb::patch;
    case Method::kDelete: return bhttp::verb::delete_;
    case Method::kOptions: return bhttp::verb::options;
  }
  return bhttp::verb::get;
}

// One keep-alive connection with its own io_context, so that the thread calling Send() can
// drive it with timeouts and no shared I/O thread is needed.
struct Connection {
  net::io_context ioc{1};
  std::unique_ptr<PlainStream> plain;
  std::unique_ptr<TlsStream> tls;
  beast::flat_buffer buffer;
  SteadyClock::time_point idle_since;

  PlainStream& Lowest() { return plain ? *plain : beast::get_lowest_layer(*tls); }

  // False when the peer closed (or sent something unsolicited) while the connection sat idle.
  bool LooksAlive() {
    if (buffer.size() != 0) return false;
    const int fd = Lowest().socket().native_handle();
    char byte = 0;
    const auto n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
};

enum class Stage { kNone, kConnect, kExchange };

struct Attempt {
  ClientResponse response;
  beast::error_code ec;
  Stage failed_at = Stage::kNone;
  bool keep_alive = false;
};

}  // namespace

ClientRequest& ClientRequest::JsonBody(const nlohmann::json& json) {
  body = json.dump();
  headers.Set("Content-Type", "application/json");
  return *this;
}

nlohmann::json ClientResponse::Json() const { return dbaas::json::Parse(body); }

struct Client::Impl {
  explicit Impl(ClientConfig c);

  ClientResponse Send(ClientRequest request);
  CircuitBreaker& BreakerFor(const std::string& key);
  std::unique_ptr<Connection> Acquire(const Endpoint& endpoint);
  void Release(const Endpoint& endpoint, std::unique_ptr<Connection> conn);
  Attempt Try(const Endpoint& endpoint, const ClientRequest& request,
              std::chrono::milliseconds timeout);

  template <typename Stream>
  net::awaitable<void> Exchange(Stream& stream, Connection& conn,
                                bhttp::request<bhttp::string_body>& req, bool head,
                                std::chrono::milliseconds timeout, Attempt& attempt);
  net::awaitable<void> Connect(Connection& conn, const Endpoint& endpoint, Attempt& attempt);

  ClientConfig config;
  std::optional<net::ssl::context> ssl_ctx;
  std::once_flag ssl_once;
  std::exception_ptr ssl_error;

  mutable std::mutex mutex;
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle;
  std::map<std::string, std::unique_ptr<CircuitBreaker>, std::less<>> breakers;
};

Client::Impl::Impl(ClientConfig c) : config(std::move(c)) {
  if (config.clock == nullptr) config.clock = &SystemClock::Instance();
  if (config.max_attempts < 1) config.max_attempts = 1;
}

CircuitBreaker& Client::Impl::BreakerFor(const std::string& key) {
  std::lock_guard lock(mutex);
  auto& breaker = breakers[key];
  if (!breaker) breaker = std::make_unique<CircuitBreaker>(config.breaker, *config.clock);
  return *breaker;
}

std::unique_ptr<Connection> Client::Impl::Acquire(const Endpoint& endpoint) {
  const auto now = SteadyClock::now();
  std::lock_guard lock(mutex);
  auto it = idle.find(endpoint.PoolKey());
  if (it == idle.end()) return nullptr;
  auto& queue = it->second;
  while (!queue.empty()) {
    auto conn = std::move(queue.back());
    queue.pop_back();
    if (now - conn->idle_since <= config.max_idle_time && conn->LooksAlive()) return conn;
  }
  return nullptr;
}

void Client::Impl::Release(const Endpoint& endpoint, std::unique_ptr<Connection> conn) {
  conn->idle_since = SteadyClock::now();
  std::lock_guard lock(mutex);
  auto& queue = idle[endpoint.PoolKey()];
  if (queue.size() < config.max_idle_per_host) queue.push_back(std::move(conn));
}

net::awaitable<void> Client::Impl::Connect(Connection& conn, const Endpoint& endpoint,
                                           Attempt& attempt) {
  auto& ec = attempt.ec;
  tcp::resolver resolver(conn.ioc);
  const auto results = co_await resolver.async_resolve(
      endpoint.host, std::to_string(endpoint.port), net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return;
  if (endpoint.tls) {
    std::call_once(ssl_once, [this] {
      try {
        ssl_ctx.emplace(net::ssl::context::tls_client);
        ssl_ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                             net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                             net::ssl::context::no_tlsv1_1);
        if (config.ca_file.empty()) {
          ssl_ctx->set_default_verify_paths();
        } else {
          ssl_ctx->load_verify_file(config.ca_file);
        }
        ssl_ctx->set_verify_mode(config.verify_peer ? net::ssl::verify_peer
                                                    : net::ssl::verify_none);
      } catch (const std::exception& e) {
        ssl_error = std::make_exception_ptr(
            Error(ErrorCode::kInternal, "cannot set up TLS client: " + std::string(e.what())));
      }
    });
    if (ssl_error) std::rethrow_exception(ssl_error);
    conn.tls = std::make_unique<TlsStream>(conn.ioc, *ssl_ctx);
    beast::error_code not_ip;
    net::ip::make_address(endpoint.host, not_ip);
    // SNI carries host names only, never IP literals.
    if (not_ip) {
      // SSL_set_tlsext_host_name is a macro with an old-style cast; this is what it expands to.
      SSL_ctrl(conn.tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(endpoint.host.c_str()));
    }
    if (config.verify_peer) {
      conn.tls->set_verify_callback(net::ssl::host_name_verification(endpoint.host));
    }
  } else {
    conn.plain = std::make_unique<PlainStream>(conn.ioc);
  }
  auto& lowest = conn.Lowest();
  lowest.expires_after(config.connect_timeout);
  co_await lowest.async_connect(results, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return;
  beast::error_code ignored;
  lowest.socket().set_option(tcp::no_delay(true), ignored);
  if (conn.tls) {
    co_await conn.tls->async_handshake(net::ssl::stream_base::client,
                                       net::redirect_error(net::use_awaitable, ec));
  }
}

template <typename Stream>
net::awaitable<void> Client::Impl::Exchange(Stream& stream, Connection& conn,
                                            bhttp::request<bhttp::string_body>& req, bool head,
                                            std::chrono::milliseconds timeout,
                                            Attempt& attempt) {
  auto& ec = attempt.ec;
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await bhttp::async_write(stream, req, net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(config.max_response_bytes);
  parser.skip(head);
  co_await bhttp::async_read(stream, conn.buffer, parser,
                             net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return;
  auto& res = parser.get();
  attempt.response.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    attempt.response.headers.Add(std::string(field.name_string()), std::string(field.value()));
  }
  attempt.response.body = std::move(res.body());
  attempt.keep_alive = res.keep_alive();
}

Attempt Client::Impl::Try(const Endpoint& endpoint, const ClientRequest& request,
                          std::chrono::milliseconds timeout) {
  Attempt attempt;
  auto conn = Acquire(endpoint);
  if (!conn) {
    conn = std::make_unique<Connection>();
    std::exception_ptr failure;
    net::co_spawn(conn->ioc, Connect(*conn, endpoint, attempt),
                  [&failure](std::exception_ptr e) { failure = e; });
    conn->ioc.run();
    if (failure) std::rethrow_exception(failure);
    if (attempt.ec) {
      attempt.failed_at = Stage::kConnect;
      return attempt;
    }
  }

  bhttp::request<bhttp::string_body> req{ToVerb(request.method), endpoint.target, 11};
  req.set(bhttp::field::host, endpoint.HostPort());
  // The caller's own User-Agent (a proxied client's) wins over the default.
  if (!request.headers.Get("User-Agent")) req.set(bhttp::field::user_agent, config.user_agent);
  for (const auto& [name, value] : request.headers) req.insert(name, value);
  req.body() = request.body;
  req.keep_alive(true);
  req.prepare_payload();
  const bool head = request.method == Method::kHead;

  std::exception_ptr failure;
  auto done = [&failure](std::exception_ptr e) { failure = e; };
  conn->ioc.restart();
  if (conn->tls) {
    net::co_spawn(conn->ioc, Exchange(*conn->tls, *conn, req, head, timeout, attempt), done);
  } else {
    net::co_spawn(conn->ioc, Exchange(*conn->plain, *conn, req, head, timeout, attempt), done);
  }
  conn->ioc.run();
  if (failure) std::rethrow_exception(failure);
  if (attempt.ec) {
    attempt.failed_at = Stage::kExchange;
    return attempt;
  }
  if (attempt.keep_alive) Release(endpoint, std::move(conn));
  return attempt;
}

ClientResponse Client::Impl::Send(ClientRequest request) {
  const auto endpoint = ParseEndpoint(request);
  const auto timeout = request.timeout.value_or(config.request_timeout);
  const bool retryable = IsIdempotent(request.method) || request.headers.Has("Idempotency-Key");
  const int max_attempts = retryable ? config.max_attempts : 1;
  auto& breaker = BreakerFor(endpoint.HostPort());
  const auto what = std::string(MethodName(request.method)) + " " + endpoint.PoolKey() +
                    endpoint.target;

  for (int attempt_no = 1;; ++attempt_no) {
    if (!breaker.Allow()) {
      throw Error(ErrorCode::kUnavailable,
                  what + ": " + endpoint.HostPort() + " circuit open after repeated failures", {},
                  {"retry after the circuit breaker cool-down"});
    }
    Attempt attempt;
    try {
      attempt = Try(endpoint, request, timeout);
    } catch (...) {
      breaker.RecordFailure();
      throw;
    }
    const int status = attempt.response.status;
    const bool unavailable = attempt.failed_at != Stage::kNone || status == 502 ||
                             status == 503 || status == 504;
    if (unavailable) {
      breaker.RecordFailure();
    } else {
      breaker.RecordSuccess();
    }
    if (!unavailable || attempt_no >= max_attempts) {
      if (attempt.failed_at == Stage::kNone) {
        attempt.response.attempts = attempt_no;
        return std::move(attempt.response);
      }
      const bool timed_out = attempt.ec == beast::error::timeout;
      const auto message = what + ": " + (timed_out ? "timed out" : attempt.ec.message()) +
                           " (" + std::to_string(attempt_no) +
                           (attempt_no == 1 ? " attempt)" : " attempts)");
      throw Error(timed_out ? ErrorCode::kDeadlineExceeded : ErrorCode::kUnavailable, message);
    }
    std::this_thread::sleep_for(config.backoff.RandomDelay(attempt_no - 1));
  }
}

Client::Client(ClientConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Client::~Client() = default;

ClientResponse Client::Send(ClientRequest request) { return impl_->Send(std::move(request)); }

CircuitBreaker::State Client::BreakerState(const std::string& host, std::uint16_t port) const {
  Endpoint e;
  e.host = host;
  e.port = port;
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->breakers.find(e.HostPort());
  return it == impl_->breakers.end() ? CircuitBreaker::State::kClosed : it->second->GetState();
}

}  // namespace dbaas::http

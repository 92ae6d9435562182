#include "dbaas/http/async.hpp"

#include <sys/socket.h>

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "dbaas/common/log.hpp"
#include "endpoint.hpp"
#include "io_thread.hpp"

namespace dbaas::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using Executor = net::io_context::executor_type;
using Socket = net::basic_stream_socket<tcp, Executor>;
using Resolver = net::ip::basic_resolver<tcp, Executor>;
using Timer = net::basic_waitable_timer<SteadyClock, net::wait_traits<SteadyClock>, Executor>;
template <typename T>
using Task = net::awaitable<T, Executor>;
using UseAwaitable = net::use_awaitable_t<Executor>;
using detail::Endpoint;

auto Redirect(beast::error_code& ec) { return net::redirect_error(UseAwaitable{}, ec); }

constexpr auto kNever = SteadyClock::time_point::max();
constexpr std::uint32_t kMaxResponseHeaderBytes = 64 * 1024;

// Parses a response straight into Headers and a string (no beast::http::fields).
class ResponseParser final : public bhttp::basic_parser<false> {
 public:
  explicit ResponseParser(std::size_t max_body_bytes) {
    header_limit(kMaxResponseHeaderBytes);
    body_limit(max_body_bytes);
    eager(true);
  }

  int status = 0;
  Headers headers;
  std::string body;

 private:
  void on_request_impl(bhttp::verb, beast::string_view, beast::string_view, int,
                       beast::error_code&) override {}
  void on_response_impl(int code, beast::string_view, int, beast::error_code&) override {
    status = code;
  }
  void on_field_impl(bhttp::field, beast::string_view name, beast::string_view value,
                     beast::error_code&) override {
    headers.Add(std::string(name.data(), name.size()), std::string(value.data(), value.size()));
  }
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         beast::error_code&) override {
    if (length) body.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(beast::string_view data, beast::error_code&) override {
    body.append(data.data(), data.size());
    return data.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view data,
                                 beast::error_code&) override {
    body.append(data.data(), data.size());
    return data.size();
  }
  void on_finish_impl(beast::error_code&) override {}
};

struct ThreadState;

// One upstream connection, owned by its I/O thread. While an exchange uses it, it sits in the
// thread's busy list so the sweep can enforce its deadline by closing it.
struct Connection {
  explicit Connection(net::io_context& ioc) : socket(ioc) {}

  // False when the peer closed (or sent something unsolicited) while the connection sat idle.
  bool LooksAlive() {
    if (buffer.size() != 0) return false;
    char byte = 0;
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  Socket socket;
  beast::flat_buffer buffer;
  SteadyClock::time_point idle_since{};
  SteadyClock::time_point deadline = kNever;
  bool timed_out = false;
  Connection* prev = nullptr;
  Connection* next = nullptr;
};

// One host:port of one client on one thread: idle connections and the shared breaker.
struct HostPool {
  std::vector<std::unique_ptr<Connection>> idle;
  CircuitBreaker* breaker = nullptr;
};

// Everything one client keeps on one I/O thread. Only touched on that thread.
struct ThreadState {
  explicit ThreadState(net::io_context& c) : ioc(c), sweep(c) {}

  void Busy(Connection& conn, SteadyClock::time_point deadline) {
    conn.deadline = deadline;
    conn.timed_out = false;
    conn.prev = nullptr;
    conn.next = busy;
    if (busy != nullptr) busy->prev = &conn;
    busy = &conn;
  }
  void Done(Connection& conn) {
    if (conn.prev != nullptr) conn.prev->next = conn.next;
    if (conn.next != nullptr) conn.next->prev = conn.prev;
    if (busy == &conn) busy = conn.next;
    conn.prev = conn.next = nullptr;
    conn.deadline = kNever;
  }

  net::io_context& ioc;
  Timer sweep;
  bool sweeping = false;
  Connection* busy = nullptr;
  std::unordered_map<std::string, HostPool> hosts;  // by PoolKey
};

// Removes a connection from the busy list however the exchange ends.
struct BusyGuard {
  BusyGuard(ThreadState& t, Connection& c, SteadyClock::time_point deadline) : thread(t), conn(c) {
    thread.Busy(conn, deadline);
  }
  ~BusyGuard() { thread.Done(conn); }
  BusyGuard(const BusyGuard&) = delete;
  BusyGuard& operator=(const BusyGuard&) = delete;
  ThreadState& thread;
  Connection& conn;
};

enum class Stage { kNone, kConnect, kExchange };

struct Attempt {
  ClientResponse response;
  beast::error_code ec;
  Stage failed_at = Stage::kNone;
  bool timed_out = false;
};

// Serialises the request line and header; the client owns Host, Content-Length and Connection.
std::string RequestHead(const ClientRequest& request, const Endpoint& endpoint,
                        const std::string& user_agent) {
  std::string out;
  out.reserve(256);
  out += MethodName(request.method);
  out += ' ';
  out += endpoint.target;
  out += " HTTP/1.1\r\nHost: ";
  out += endpoint.HostPort();
  out += "\r\n";
  bool has_agent = false;
  for (const auto& [name, value] : request.headers) {
    if (EqualsIgnoreCase(name, "Host") || EqualsIgnoreCase(name, "Content-Length") ||
        EqualsIgnoreCase(name, "Transfer-Encoding") || EqualsIgnoreCase(name, "Connection")) {
      continue;
    }
    // A CR or LF would let a header value split the request.
    if (name.find_first_of("\r\n:") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      continue;
    }
    has_agent = has_agent || EqualsIgnoreCase(name, "User-Agent");
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!has_agent) {
    out += "User-Agent: ";
    out += user_agent;
    out += "\r\n";
  }
  const bool wants_length = !request.body.empty() || request.method == Method::kPost ||
                            request.method == Method::kPut || request.method == Method::kPatch;
  if (wants_length) {
    char digits[24];
    auto [end, err] = std::to_chars(digits, digits + sizeof(digits), request.body.size());
    out += "Content-Length: ";
    out.append(digits, end);
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

std::atomic<std::uint64_t> next_client_id{1};

}  // namespace

struct AsyncClient::Impl : std::enable_shared_from_this<Impl> {
  explicit Impl(ClientConfig c) : config(std::move(c)), id(next_client_id++) {
    if (config.clock == nullptr) config.clock = &SystemClock::Instance();
    if (config.max_attempts < 1) config.max_attempts = 1;
    const auto shorter = std::min(config.connect_timeout, config.request_timeout);
    sweep_period = std::clamp<SteadyClock::duration>(shorter / 10, std::chrono::milliseconds(5),
                                                     std::chrono::milliseconds(100));
  }

  CircuitBreaker& BreakerFor(const std::string& key);
  std::shared_ptr<ThreadState> State(net::io_context& ioc);
  Task<void> Sweep(std::shared_ptr<Impl> self, std::shared_ptr<ThreadState> thread);
  Task<void> Run(std::shared_ptr<Impl> self, std::shared_ptr<ThreadState> thread,
                 ClientRequest request, std::function<void(AsyncResult)> done);
  Task<ClientResponse> Exchange(ThreadState& thread, const ClientRequest& request);
  Task<Attempt> Try(ThreadState& thread, HostPool& host, const Endpoint& endpoint,
                    const ClientRequest& request, std::chrono::milliseconds timeout,
                    bool idempotent);
  Task<void> Connect(ThreadState& thread, Connection& conn, const Endpoint& endpoint,
                     Attempt& attempt);

  ClientConfig config;
  std::uint64_t id;
  SteadyClock::duration sweep_period;
  mutable std::mutex mutex;
  std::map<std::string, std::unique_ptr<CircuitBreaker>, std::less<>> breakers;
};

namespace {

// The states of every client used on this thread, by client id. The thread holds them until
// it exits (its io_context outlives it); exchanges still pending then hold theirs until the
// io_context destroys them.
std::unordered_map<std::uint64_t, std::shared_ptr<ThreadState>>& ThreadStates() {
  thread_local std::unordered_map<std::uint64_t, std::shared_ptr<ThreadState>> states;
  return states;
}

}  // namespace

CircuitBreaker& AsyncClient::Impl::BreakerFor(const std::string& key) {
  std::lock_guard lock(mutex);
  auto& breaker = breakers[key];
  if (!breaker) breaker = std::make_unique<CircuitBreaker>(config.breaker, *config.clock);
  return *breaker;
}

std::shared_ptr<ThreadState> AsyncClient::Impl::State(net::io_context& ioc) {
  auto& slot = ThreadStates()[id];
  if (!slot) {
    slot = std::make_shared<ThreadState>(ioc);
    net::co_spawn(ioc, Sweep(shared_from_this(), slot), net::detached);
  }
  return slot;
}

Task<void> AsyncClient::Impl::Sweep(std::shared_ptr<Impl> self,
                                    std::shared_ptr<ThreadState> state) {
  auto& thread = *state;
  // Deadlines are enforced by one periodic sweep per thread instead of a timer per exchange
  // (arming a timer per request costs a timerfd update).
  const std::weak_ptr<Impl> owner = self;
  self.reset();
  for (;;) {
    beast::error_code ec;
    thread.sweep.expires_after(sweep_period);
    co_await thread.sweep.async_wait(Redirect(ec));
    if (ec || owner.expired()) co_return;
    const auto now = SteadyClock::now();
    for (auto* c = thread.busy; c != nullptr; c = c->next) {
      if (now >= c->deadline) {
        c->timed_out = true;
        c->deadline = kNever;
        beast::error_code ignored;
        c->socket.close(ignored);
      }
    }
  }
}

Task<void> AsyncClient::Impl::Connect(ThreadState& thread, Connection& conn,
                                      const Endpoint& endpoint, Attempt& attempt) {
  auto& ec = attempt.ec;
  BusyGuard busy(thread, conn, SteadyClock::now() + config.connect_timeout);
  beast::error_code not_ip;
  const auto address = net::ip::make_address(endpoint.host, not_ip);
  if (!not_ip) {
    co_await conn.socket.async_connect(tcp::endpoint(address, endpoint.port), Redirect(ec));
  } else {
    Resolver resolver(thread.ioc);
    const auto results = co_await resolver.async_resolve(
        endpoint.host, std::to_string(endpoint.port), Redirect(ec));
    if (ec) co_return;
    co_await net::async_connect(conn.socket, results, Redirect(ec));
  }
  attempt.timed_out = conn.timed_out;
  if (ec) co_return;
  beast::error_code ignored;
  conn.socket.set_option(tcp::no_delay(true), ignored);
  conn.socket.non_blocking(true, ignored);
}

Task<Attempt> AsyncClient::Impl::Try(ThreadState& thread, HostPool& host, const Endpoint& endpoint,
                                     const ClientRequest& request,
                                     std::chrono::milliseconds timeout, bool idempotent) {
  Attempt attempt;
  std::unique_ptr<Connection> conn;
  const auto now = SteadyClock::now();
  // A non-idempotent request must not be sent on a connection the peer already closed (it
  // could not be repeated): peek first. An idempotent one skips the peek (a syscall per
  // request) and is repeated once on a new connection when a reused one turns out stale.
  while (!host.idle.empty() && !conn) {
    conn = std::move(host.idle.back());
    host.idle.pop_back();
    if (now - conn->idle_since > config.max_idle_time || conn->buffer.size() != 0 ||
        (!idempotent && !conn->LooksAlive())) {
      conn.reset();
    }
  }
  const bool reused = conn != nullptr;
  bool answered = false;  // some of the response arrived
  if (!conn) {
    conn = std::make_unique<Connection>(thread.ioc);
    co_await Connect(thread, *conn, endpoint, attempt);
    if (attempt.ec) {
      attempt.failed_at = Stage::kConnect;
      co_return attempt;
    }
  }

  auto& ec = attempt.ec;
  {
    BusyGuard busy(thread, *conn, SteadyClock::now() + timeout);
    const auto head = RequestHead(request, endpoint, config.user_agent);
    std::array<net::const_buffer, 2> buffers{net::buffer(head), net::buffer(request.body)};
    const std::size_t total = buffers[0].size() + buffers[1].size();
    // Most requests fit the socket buffer: write them now, without a trip through the reactor.
    std::size_t written = conn->socket.write_some(buffers, ec);
    if (ec == net::error::would_block) {
      ec = {};
      written = 0;
    }
    if (!ec && written < total) {
      std::size_t skip = written;
      for (auto& b : buffers) {
        const auto n = std::min(skip, b.size());
        b += n;
        skip -= n;
      }
      co_await net::async_write(conn->socket, buffers, Redirect(ec));
    }
    if (!ec) {
      ResponseParser parser(config.max_response_bytes);
      parser.skip(request.method == Method::kHead);
      co_await bhttp::async_read(conn->socket, conn->buffer, parser, Redirect(ec));
      answered = parser.got_some();
      if (!ec) {
        attempt.response.status = parser.status;
        attempt.response.headers = std::move(parser.headers);
        attempt.response.body = std::move(parser.body);
        if (parser.keep_alive() && conn->buffer.size() == 0 &&
            host.idle.size() < config.max_idle_per_host) {
          conn->idle_since = SteadyClock::now();
          host.idle.push_back(std::move(conn));
        }
        co_return attempt;
      }
    }
    attempt.timed_out = conn->timed_out;
  }
  if (reused && idempotent && !answered && !attempt.timed_out) {
    // The peer closed the idle connection before our request reached it.
    co_return co_await Try(thread, host, endpoint, request, timeout, false);
  }
  attempt.failed_at = Stage::kExchange;
  co_return attempt;
}

Task<ClientResponse> AsyncClient::Impl::Exchange(ThreadState& thread,
                                                 const ClientRequest& request) {
  const auto endpoint = detail::ParseEndpoint(request);
  if (endpoint.tls) {
    throw Error(ErrorCode::kInvalidArgument, "the asynchronous client speaks plain HTTP only");
  }
  const auto timeout = request.timeout.value_or(config.request_timeout);
  const bool retryable = IsIdempotent(request.method) || request.headers.Has("Idempotency-Key");
  const int max_attempts = retryable ? config.max_attempts : 1;
  auto& host = thread.hosts[endpoint.PoolKey()];
  if (host.breaker == nullptr) host.breaker = &BreakerFor(endpoint.HostPort());
  auto& breaker = *host.breaker;
  const auto what = [&] {
    return std::string(MethodName(request.method)) + " " + endpoint.PoolKey() + endpoint.target;
  };

  for (int attempt_no = 1;; ++attempt_no) {
    if (!breaker.Allow()) {
      throw Error(ErrorCode::kUnavailable,
                  what() + ": " + endpoint.HostPort() + " circuit open after repeated failures",
                  {}, {"retry after the circuit breaker cool-down"});
    }
    auto attempt = co_await Try(thread, host, endpoint, request, timeout, retryable);
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
        co_return std::move(attempt.response);
      }
      const auto message = what() + ": " +
                           (attempt.timed_out ? "timed out" : attempt.ec.message()) + " (" +
                           std::to_string(attempt_no) +
                           (attempt_no == 1 ? " attempt)" : " attempts)");
      throw Error(attempt.timed_out ? ErrorCode::kDeadlineExceeded : ErrorCode::kUnavailable,
                  message);
    }
    Timer backoff(thread.ioc, config.backoff.RandomDelay(attempt_no - 1));
    beast::error_code ignored;
    co_await backoff.async_wait(Redirect(ignored));
  }
}

Task<void> AsyncClient::Impl::Run(std::shared_ptr<Impl> self, std::shared_ptr<ThreadState> thread,
                                  ClientRequest request, std::function<void(AsyncResult)> done) {
  AsyncResult result;
  try {
    result.response = co_await Exchange(*thread, request);
  } catch (const Error& e) {
    result.error = e;
  } catch (const std::exception& e) {
    result.error = Error(ErrorCode::kInternal, "upstream exchange failed: " + std::string(e.what()));
  }
  try {
    done(std::move(result));
  } catch (const std::exception& e) {
    log::Error("asynchronous client callback threw", {{"error", e.what()}});
  }
  (void)self;  // keeps the client's configuration alive until the callback ran
}

AsyncClient::AsyncClient(ClientConfig config)
    : impl_(std::make_shared<Impl>(std::move(config))) {}

AsyncClient::~AsyncClient() = default;

void AsyncClient::Send(ClientRequest request, std::function<void(AsyncResult)> done) {
  auto* ioc = detail::CurrentIoThread().ioc;
  if (ioc == nullptr) {
    throw Error(ErrorCode::kFailedPrecondition,
                "http::AsyncClient::Send needs a server I/O thread");
  }
  net::co_spawn(*ioc, impl_->Run(impl_, impl_->State(*ioc), std::move(request), std::move(done)),
                net::detached);
}

CircuitBreaker::State AsyncClient::BreakerState(const std::string& host,
                                                std::uint16_t port) const {
  Endpoint e;
  e.host = host;
  e.port = port;
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->breakers.find(e.HostPort());
  return it == impl_->breakers.end() ? CircuitBreaker::State::kClosed : it->second->GetState();
}

}  // namespace dbaas::http

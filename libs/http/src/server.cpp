#include "dbaas/http/server.hpp"

#include "dbaas/http/async.hpp"
#include "dbaas/http/client_address.hpp"
#include "io_thread.hpp"

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "dbaas/common/crypto.hpp"
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
using Clock = std::chrono::steady_clock;

// Concrete executor types throughout: Boost 1.74's type-erased any_io_executor costs a
// property query and a copy on every operation, which showed up in profiles.
using Executor = net::io_context::executor_type;
using Socket = net::basic_stream_socket<tcp, Executor>;
using Acceptor = net::basic_socket_acceptor<tcp, Executor>;
using Timer = net::basic_waitable_timer<Clock, net::wait_traits<Clock>, Executor>;
using TlsStream = net::ssl::stream<Socket>;
template <typename T>
using Task = net::awaitable<T, Executor>;
using UseAwaitable = net::use_awaitable_t<Executor>;

auto Redirect(beast::error_code& ec) { return net::redirect_error(UseAwaitable{}, ec); }

constexpr auto kLingerTime = std::chrono::milliseconds(500);
constexpr std::size_t kLingerBytes = 1024 * 1024;
constexpr std::size_t kMaxRequestIdLength = 128;
constexpr std::size_t kReadChunk = 4096;
constexpr std::string_view kUnmatchedRoute = "unmatched";
constexpr std::string_view kPreflightRoute = "preflight";
constexpr std::string_view kOtherMethod = "OTHER";
constexpr auto kNever = Clock::time_point::max();

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

// A request id in dbaas::GenerateId's format ("req_" + 26 Crockford base32 characters: 48 bits
// of milliseconds, 80 random bits). Request ids only correlate logs, so a per-thread PRNG seeded
// from the system CSPRNG suffices; GenerateId's OpenSSL call per request was measurable.
std::string NewRequestId() {
  static constexpr std::string_view kAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  struct Rng {
    std::uint64_t s[4];
    Rng() {
      const auto seed = crypto::RandomBytes(sizeof(s));
      std::memcpy(s, seed.data(), sizeof(s));
      if ((s[0] | s[1] | s[2] | s[3]) == 0) s[0] = 1;
    }
    std::uint64_t Next() {  // xoshiro256**
      const std::uint64_t result = std::rotl(s[1] * 5, 7) * 9;
      const std::uint64_t t = s[1] << 17;
      s[2] ^= s[0];
      s[3] ^= s[1];
      s[1] ^= s[2];
      s[0] ^= s[3];
      s[2] ^= t;
      s[3] = std::rotl(s[3], 45);
      return result;
    }
  };
  thread_local Rng rng;
  const auto millis = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  // The 128-bit value as hi:lo; the top 48 bits are the time.
  std::uint64_t hi = (millis << 16) | (rng.Next() & 0xFFFF);
  std::uint64_t lo = rng.Next();
  std::string out(4 + 26, '\0');
  out[0] = 'r';
  out[1] = 'e';
  out[2] = 'q';
  out[3] = '_';
  for (int i = 25; i >= 0; --i) {
    out[static_cast<std::size_t>(4 + i)] = kAlphabet[lo & 0x1F];
    lo = (lo >> 5) | (hi << 59);
    hi >>= 5;
  }
  return out;
}

// The exception barrier: the only place a handler's exception becomes a response. Call it
// inside a catch block; it rethrows the exception being handled to classify it.
Response CurrentFailure(const Request& request) {
  try {
    throw;
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

Response Guarded(const Handler& handler, const Request& request) {
  try {
    return handler(request);
  } catch (...) {
    return CurrentFailure(request);
  }
}

// Parses one request straight into plain strings (no beast::http::fields, whose per-field
// allocations and later copy into Request showed up in profiles).
class RequestParser final : public bhttp::basic_parser<true> {
 public:
  RequestParser(std::size_t max_header_bytes, std::size_t max_body_bytes) {
    header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    body_limit(max_body_bytes);
    eager(true);
    max_body_ = max_body_bytes;
  }

  bhttp::verb verb = bhttp::verb::unknown;
  std::string method;
  std::string target;
  int version = 11;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;

 private:
  void on_request_impl(bhttp::verb v, beast::string_view method_str, beast::string_view t,
                       int ver, beast::error_code&) override {
    verb = v;
    method.assign(method_str.data(), method_str.size());
    target.assign(t.data(), t.size());
    version = ver;
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
  void on_field_impl(bhttp::field, beast::string_view name, beast::string_view value,
                     beast::error_code&) override {
    fields.emplace_back(std::string(name.data(), name.size()),
                        std::string(value.data(), value.size()));
  }
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         beast::error_code&) override {
    if (length) body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, max_body_)));
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

  std::size_t max_body_ = 0;
};

// What the access log and the metrics need to know about one answered request. The views
// point into the Request (or at constants) and are valid until the request is recorded.
struct Exchange {
  const void* route_key = &kUnmatchedRoute;  // the matched Handler, or a constant
  std::string_view route = kUnmatchedRoute;
  int method = -1;  // Method, or -1 for OTHER
  std::string_view method_name = kOtherMethod;
  std::string_view path;
  std::string_view request_id;
};

// Open connections across all workers, for max_connections, the gauge and the shutdown wait.
struct ConnectionCount {
  explicit ConnectionCount(metrics::Gauge& g) : gauge(g) {}
  /// Counts a new connection; false when it exceeds `max`.
  bool Add(std::size_t max) {
    gauge.Inc();
    return open.fetch_add(1) < max;
  }
  void Remove() {
    gauge.Dec();
    if (open.fetch_sub(1) == 1) {
      std::lock_guard lock(mutex);
      cv.notify_all();
    }
  }
  /// Waits up to `timeout` for the count to reach zero; true when it did.
  template <typename Duration>
  bool WaitEmpty(Duration timeout) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, timeout, [this] { return open == 0; });
  }

  metrics::Gauge& gauge;
  std::atomic<std::size_t> open{0};
  std::mutex mutex;
  std::condition_variable cv;
};

struct Worker;

// One connection's bookkeeping, living in its coroutine frame and linked into its worker's
// list so the worker's sweep can enforce deadlines and shutdown can close idle connections.
// Only touched on the worker's thread.
struct Connection {
  Connection(Worker& w, Socket& s);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Close() {
    beast::error_code ignored;
    socket.close(ignored);
    deadline = kNever;
  }

  Worker& worker;
  Socket& socket;
  Clock::time_point deadline = kNever;
  bool idle = false;
  std::string head;  // the serialised response header, reused across requests
  Connection* prev = nullptr;
  Connection* next = nullptr;
};

struct MetricKey {
  const void* route;
  int method;
  int status;
  bool operator==(const MetricKey&) const = default;
};

struct MetricKeyHash {
  std::size_t operator()(const MetricKey& k) const noexcept {
    auto h = std::hash<const void*>{}(k.route);
    h ^= static_cast<std::size_t>(k.method + 1) * 0x9E3779B97F4A7C15ULL;
    h ^= static_cast<std::size_t>(k.status) * 0xC2B2AE3D27D4EB4FULL;
    return h;
  }
};

struct MetricSlot {
  metrics::Counter* requests = nullptr;
  metrics::Histogram* duration = nullptr;
};

}  // namespace

namespace {

// One I/O thread: its own io_context (no cross-thread locking or wake-ups on the hot path),
// its connections, and its cache of metric children.
struct Worker {
  explicit Worker(ConnectionCount& c) : count(c), ioc(1), sweep(ioc) {}

  ConnectionCount& count;
  std::unordered_map<MetricKey, MetricSlot, MetricKeyHash> metric_cache;
  Connection* connections = nullptr;
  // Declared after the list: destroying the io_context destroys pending coroutine frames,
  // whose Connection destructors unlink themselves from it.
  net::io_context ioc;
  Timer sweep;
};

}  // namespace

struct Server::Impl {
  Impl(ServerConfig c, Router r, metrics::Registry& reg);
  ~Impl();

  void Listen();
  void Run();
  void Stop();

  Task<void> AcceptLoop();
  Task<void> SweepLoop(Worker& worker);
  void StartConnection(Worker& worker, Socket socket);
  template <typename Stream>
  Task<void> Serve(Worker& worker, Stream stream, std::string remote, bool reject);
  template <typename Stream>
  Task<void> Linger(Stream& stream, Connection& conn);
  template <typename Stream>
  Task<bool> WriteResponse(Stream& stream, Connection& conn, const Response& res, int version,
                           bool head, bool keep_alive, std::string_view request_id);
  void SerializeHead(std::string& out, const Response& res, int version, bool keep_alive,
                     std::string_view request_id) const;
  template <typename Work>
  Task<Response> RunOnPool(Work work);
  Task<Response> RunAsync(const AsyncHandler& handler, const Request& request);
  void Decorate(const Request& request, Response& response) const;
  Request BareRequest(const RequestParser* parser, std::string request_id,
                      const std::string& remote) const;
  Response Readiness(const Request& request) const;
  void Record(Worker& worker, const Exchange& exchange, int status, Clock::time_point start,
              const std::string& remote);
  Response ProtocolError(const Error& e, int status_override, std::string& request_id) const;

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
  Clock::duration sweep_period;

  std::vector<std::unique_ptr<Worker>> workers;
  std::size_t next_worker = 0;
  std::optional<net::ssl::context> ssl_ctx;
  std::optional<Acceptor> acceptor;
  std::optional<net::signal_set> signals;
  net::thread_pool pool;
  std::vector<std::thread> io_threads;

  std::atomic<bool> draining{false};
  ConnectionCount connection_count;
  bool listening = false;
  bool ran = false;
  std::uint16_t bound_port = 0;

  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stop_requested = false;

};

namespace {

Connection::Connection(Worker& w, Socket& s) : worker(w), socket(s) {
  next = worker.connections;
  if (next != nullptr) next->prev = this;
  worker.connections = this;
}

Connection::~Connection() {
  if (prev != nullptr) prev->next = next;
  if (next != nullptr) next->prev = prev;
  if (worker.connections == this) worker.connections = next;
  worker.count.Remove();
}

Socket& Lowest(Socket& s) { return s; }
Socket& Lowest(TlsStream& s) { return s.next_layer(); }

}  // namespace

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
      pool(static_cast<std::size_t>(std::max(config.handler_threads, 1))),
      connection_count(connections_open) {
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "TLS needs both a certificate and a key file");
  }
  // Deadlines are enforced by a periodic sweep per I/O thread instead of re-arming timers on
  // every read and write; a tenth of the shorter timeout bounds the overshoot without waking
  // often.
  const auto shorter = std::min(config.read_timeout, config.idle_timeout);
  sweep_period = std::clamp<Clock::duration>(shorter / 10, std::chrono::milliseconds(5),
                                             std::chrono::milliseconds(250));
  for (int i = 0; i < std::max(config.io_threads, 1); ++i) {
    workers.push_back(std::make_unique<Worker>(connection_count));
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
  // Connections still queued on the io_contexts reference this object; destroy them first.
  if (!ran) {
    acceptor.reset();
    signals.reset();
  }
  pool.join();
  for (auto& w : workers) w->ioc.stop();
  for (auto& t : io_threads) {
    if (t.joinable()) t.join();
  }
  acceptor.reset();
  signals.reset();
  workers.clear();
}

void Server::Impl::Listen() {
  if (listening) return;
  beast::error_code ec;
  auto& ioc = workers.front()->ioc;
  const std::string host = config.host == "localhost" ? "127.0.0.1" : config.host;
  const auto where = config.host + ":" + std::to_string(config.port);
  auto address = net::ip::make_address(host, ec);
  if (ec) {
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(host, std::to_string(config.port), ec);
    if (ec || results.empty()) {
      throw Error(ErrorCode::kUnavailable, "cannot resolve listen address " + where);
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, config.port);
  acceptor.emplace(ioc);
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
  auto& first = workers.front()->ioc;
  signals.emplace(first, SIGINT, SIGTERM);
  signals->async_wait([this](const beast::error_code& ec, int signal) {
    if (ec) return;
    log::Info("signal received, shutting down", {{"signal", signal}});
    Stop();
  });
  net::co_spawn(first, AcceptLoop(), net::detached);
  std::vector<net::executor_work_guard<Executor>> work;
  for (auto& w : workers) {
    net::co_spawn(w->ioc, SweepLoop(*w), net::detached);
    work.push_back(net::make_work_guard(w->ioc));
  }
  for (auto& w : workers) {
    io_threads.emplace_back([this, &ioc = w->ioc] {
      detail::CurrentIoThread() = {&ioc, &pool};
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception& e) {
          log::Error("uncaught exception on the I/O loop", {{"error", e.what()}});
        }
      }
    });
  }
  log::Info("listening", {{"server", config.service}, {"host", config.host},
                          {"port", static_cast<int>(bound_port)}, {"tls", config.TlsEnabled()},
                          {"io_threads", static_cast<int>(workers.size())}});

  {
    std::unique_lock lock(stop_mutex);
    stop_cv.wait(lock, [this] { return stop_requested; });
  }
  draining = true;
  net::post(first, [this] {
    beast::error_code ignored;
    acceptor->close(ignored);
    signals->cancel(ignored);
  });
  const auto close_connections = [this](bool idle_only) {
    for (auto& w : workers) {
      net::post(w->ioc, [&worker = *w, idle_only] {
        for (auto* c = worker.connections; c != nullptr; c = c->next) {
          if (c->idle || !idle_only) c->Close();
        }
      });
    }
  };
  close_connections(true);
  if (!connection_count.WaitEmpty(config.shutdown_grace)) {
    log::Warn("shutdown grace period over, closing connections",
              {{"connections", static_cast<std::int64_t>(connection_count.open.load())}});
    close_connections(false);
    connection_count.WaitEmpty(std::chrono::seconds(1));
  }
  pool.join();
  work.clear();
  for (auto& w : workers) w->ioc.stop();
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

Task<void> Server::Impl::AcceptLoop() {
  for (;;) {
    beast::error_code ec;
    // Round-robin: each accepted socket belongs to the next worker's io_context.
    Worker& worker = *workers[next_worker];
    next_worker = (next_worker + 1) % workers.size();
    Socket socket = co_await acceptor->async_accept(worker.ioc, Redirect(ec));
    if (draining || !acceptor->is_open()) co_return;
    if (ec) {
      // Typically EMFILE: back off instead of spinning on the error.
      log::Warn("accept failed", {{"error", ec.message()}});
      Timer timer(workers.front()->ioc, std::chrono::milliseconds(50));
      co_await timer.async_wait(Redirect(ec));
      continue;
    }
    if (&worker == workers.front().get()) {
      StartConnection(worker, std::move(socket));
    } else {
      net::post(worker.ioc, [this, &worker, s = std::move(socket)]() mutable {
        StartConnection(worker, std::move(s));
      });
    }
  }
}

Task<void> Server::Impl::SweepLoop(Worker& worker) {
  for (;;) {
    beast::error_code ec;
    worker.sweep.expires_after(sweep_period);
    co_await worker.sweep.async_wait(Redirect(ec));
    if (ec) co_return;
    const auto now = Clock::now();
    // Closing only queues the cancelled operations' completions, so the list stays intact.
    for (auto* c = worker.connections; c != nullptr; c = c->next) {
      if (now >= c->deadline) c->Close();
    }
  }
}

void Server::Impl::StartConnection(Worker& worker, Socket socket) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  socket.non_blocking(true, ec);
  std::string remote;
  const auto endpoint = socket.remote_endpoint(ec);
  if (!ec) remote = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  const bool reject = !connection_count.Add(config.max_connections);
  if (ssl_ctx) {
    net::co_spawn(worker.ioc,
                  Serve(worker, TlsStream(std::move(socket), *ssl_ctx), std::move(remote), reject),
                  net::detached);
  } else {
    net::co_spawn(worker.ioc, Serve(worker, std::move(socket), std::move(remote), reject),
                  net::detached);
  }
}

template <typename Stream>
Task<void> Server::Impl::Linger(Stream& stream, Connection& conn) {
  beast::error_code ec;
  auto& lowest = Lowest(stream);
  conn.deadline = Clock::now() + kLingerTime;
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    co_await stream.async_shutdown(Redirect(ec));
  } else {
    // Half-close, then drain what the client is still sending: closing with unread data would
    // make the kernel reset the connection and the client could lose our error response.
    lowest.shutdown(tcp::socket::shutdown_send, ec);
    char scratch[4096];
    std::size_t drained = 0;
    while (!ec && drained < kLingerBytes) {
      drained += co_await lowest.async_read_some(net::buffer(scratch), Redirect(ec));
    }
  }
  conn.Close();
}

void Server::Impl::SerializeHead(std::string& out, const Response& res, int version,
                                 bool keep_alive, std::string_view request_id) const {
  const int status = res.status;
  out.clear();
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char digits[16];
  auto [end, err] = std::to_chars(digits, digits + sizeof(digits), status);
  out.append(digits, end);
  out += ' ';
  out += View(bhttp::obsolete_reason(static_cast<bhttp::status>(status)));
  out += "\r\n";
  const bool tls = ssl_ctx.has_value();
  bool has_cache_control = false;
  for (const auto& [name, value] : res.headers) {
    // The server owns these; Response documents that it adds them.
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
        EqualsIgnoreCase(name, "Connection") || EqualsIgnoreCase(name, "X-Request-Id") ||
        EqualsIgnoreCase(name, "X-Content-Type-Options") ||
        EqualsIgnoreCase(name, "X-Frame-Options") ||
        (tls && EqualsIgnoreCase(name, "Strict-Transport-Security"))) {
      continue;
    }
    // A CR or LF would let a header value split the response.
    if (name.find_first_of("\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      continue;
    }
    has_cache_control = has_cache_control || EqualsIgnoreCase(name, "Cache-Control");
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "X-Request-Id: ";
  out += request_id;
  out += "\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n";
  if (status >= 400 && !has_cache_control) out += "Cache-Control: no-store\r\n";
  if (tls) out += "Strict-Transport-Security: max-age=31536000\r\n";
  const bool bodiless = (status >= 100 && status < 200) || status == 204 || status == 304;
  if (!bodiless) {
    out += "Content-Length: ";
    auto [len_end, len_err] = std::to_chars(digits, digits + sizeof(digits), res.body.size());
    out.append(digits, len_end);
    out += "\r\n";
  }
  if (!keep_alive && version >= 11) out += "Connection: close\r\n";
  if (keep_alive && version < 11) out += "Connection: keep-alive\r\n";
  out += "\r\n";
}

template <typename Stream>
Task<bool> Server::Impl::WriteResponse(Stream& stream, Connection& conn, const Response& res,
                                       int version, bool head, bool keep_alive,
                                       std::string_view request_id) {
  SerializeHead(conn.head, res, version, keep_alive, request_id);
  const bool bodiless = head || (res.status >= 100 && res.status < 200) || res.status == 204 ||
                        res.status == 304;
  std::array<net::const_buffer, 2> buffers{
      net::buffer(conn.head),
      bodiless ? net::const_buffer() : net::buffer(res.body)};
  beast::error_code ec;
  std::size_t written = 0;
  const std::size_t total = buffers[0].size() + buffers[1].size();
  if constexpr (std::is_same_v<Stream, Socket>) {
    // Most responses fit the socket buffer: write them now and skip a trip through the
    // reactor and the coroutine machinery.
    written = stream.write_some(buffers, ec);
    if (ec == net::error::would_block) ec = {};
    if (ec) co_return false;
    if (written == total) co_return true;
  }
  conn.deadline = Clock::now() + config.read_timeout;
  auto rest = buffers;
  std::size_t skip = written;
  for (auto& b : rest) {
    const auto n = std::min(skip, b.size());
    b += n;
    skip -= n;
  }
  co_await net::async_write(stream, rest, Redirect(ec));
  conn.deadline = kNever;
  co_return !ec;
}

Response Server::Impl::ProtocolError(const Error& e, int status_override,
                                     std::string& request_id) const {
  request_id = NewRequestId();
  auto res = ErrorResponse(e, request_id);
  if (status_override != 0) res.status = status_override;
  return res;
}

template <typename Stream>
Task<void> Server::Impl::Serve(Worker& worker, Stream stream, std::string remote, bool reject) {
  auto& lowest = Lowest(stream);
  Connection conn(worker, lowest);
  beast::error_code ec;
  try {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      conn.deadline = Clock::now() + config.read_timeout;
      co_await stream.async_handshake(net::ssl::stream_base::server, Redirect(ec));
      conn.deadline = kNever;
    }
    if (ec) {
      conn.Close();
    } else if (reject) {
      connections_rejected.Inc();
      Exchange exchange;
      std::string request_id;
      auto res = ProtocolError(
          Error(ErrorCode::kUnavailable, "too many open connections", {},
                {"retry later", "reuse keep-alive connections instead of opening new ones"}),
          0, request_id);
      exchange.request_id = request_id;
      Record(worker, exchange, res.status, Clock::now(), remote);
      res.SetHeader("Retry-After", "1");
      Decorate(BareRequest(nullptr, request_id, remote), res);
      if (co_await WriteResponse(stream, conn, res, 11, false, false, request_id)) {
        co_await Linger(stream, conn);
      }
      conn.Close();
    } else {
      beast::flat_buffer buffer;
      for (;;) {
        if (buffer.size() == 0) {
          conn.idle = true;
          if (draining) break;
          conn.deadline = Clock::now() + config.idle_timeout;
          const auto n = co_await stream.async_read_some(buffer.prepare(kReadChunk), Redirect(ec));
          conn.idle = false;
          if (ec) break;  // idle timeout, peer closed, or shutdown closed an idle connection
          buffer.commit(n);
        }
        conn.deadline = Clock::now() + config.read_timeout;
        RequestParser parser(config.max_header_bytes, config.max_body_bytes);
        for (;;) {
          const auto used = parser.put(buffer.data(), ec);
          buffer.consume(used);
          if (ec == bhttp::error::need_more) {
            ec = {};
          } else if (ec || parser.is_done()) {
            break;
          }
          const auto room = std::max(kReadChunk, buffer.capacity() - buffer.size());
          const auto n = co_await stream.async_read_some(buffer.prepare(room), Redirect(ec));
          if (ec) {
            if (ec == net::error::eof) {
              ec = parser.got_some() ? bhttp::error::partial_message : bhttp::error::end_of_stream;
            }
            break;
          }
          buffer.commit(n);
        }
        if (ec) {
          std::string request_id;
          std::optional<Response> error;
          if (ec == bhttp::error::body_limit) {
            error = ProtocolError(
                Error(ErrorCode::kPayloadTooLarge,
                      "request body exceeds " + std::to_string(config.max_body_bytes) + " bytes"),
                0, request_id);
          } else if (ec == bhttp::error::header_limit) {
            error = ProtocolError(
                Error(ErrorCode::kInvalidArgument,
                      "request headers exceed " + std::to_string(config.max_header_bytes) +
                          " bytes"),
                431, request_id);
          } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
                     ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
            error = ProtocolError(
                Error(ErrorCode::kInvalidArgument, "malformed HTTP request: " + ec.message()), 400,
                request_id);
          }
          if (error) {
            Decorate(BareRequest(&parser, request_id, remote), *error);
            Exchange exchange;
            exchange.request_id = request_id;
            Record(worker, exchange, error->status, Clock::now(), remote);
            if (co_await WriteResponse(stream, conn, *error, 11, false, false, request_id)) {
              co_await Linger(stream, conn);
            }
          }
          break;  // also: timeout, reset, or the peer closed mid-request
        }
        conn.deadline = kNever;  // a handler may take longer than read_timeout
        const auto start = Clock::now();
        requests_in_flight.Inc();
        Exchange exchange;
        Request request;
        std::optional<Response> res;
        const Handler* pooled = nullptr;
        const AsyncHandler* async = nullptr;
        bool cors_allowed = false;

        // Request id, request line and headers.
        std::string request_id;
        for (const auto& [name, value] : parser.fields) {
          if (EqualsIgnoreCase(name, "X-Request-Id")) {
            if (IsSaneRequestId(value)) request_id = value;
            break;
          }
        }
        if (request_id.empty()) request_id = NewRequestId();
        const auto method = ParseMethod(parser.method);
        try {
          if (!method) {
            throw Error(ErrorCode::kMethodNotAllowed,
                        "method " + parser.method + " is not supported");
          }
          exchange.method = static_cast<int>(*method);
          exchange.method_name = MethodName(*method);
          request = Request(*method, parser.target);
        } catch (const Error& e) {
          res = ErrorResponse(e, request_id);
        }
        if (res) {
          request.SetRequestId(std::move(request_id));
          exchange.path = std::string_view(parser.target).substr(0, 256);
        } else {
          request.SetRequestId(std::move(request_id));
          request.SetRemoteAddress(remote);
          for (auto& [name, value] : parser.fields) {
            request.AddHeader(std::move(name), std::move(value));
          }
          request.SetClientAddress(
              ResolveClientAddress(remote, request.AllHeaders(), config.trusted_proxies));
          request.SetBody(std::move(parser.body));
          exchange.path = request.Path();

          // CORS preflight, built-in routes, then the service's router.
          std::string_view origin;
          std::optional<std::string> origin_header;
          if (!config.cors_origins.empty()) origin_header = request.Header("Origin");
          if (origin_header) {
            origin = *origin_header;
            cors_allowed = std::any_of(config.cors_origins.begin(), config.cors_origins.end(),
                                       [&](const std::string& o) { return o == "*" || o == origin; });
          }
          if (cors_allowed && *method == Method::kOptions &&
              request.Header("Access-Control-Request-Method")) {
            exchange.route_key = &kPreflightRoute;
            exchange.route = kPreflightRoute;
            res = Response::NoContent();
            res->SetHeader("Access-Control-Allow-Methods",
                           "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
            res->SetHeader("Access-Control-Allow-Headers",
                           request.Header("Access-Control-Request-Headers")
                               .value_or("Authorization, Content-Type, Idempotency-Key, If-Match, "
                                         "X-Request-Id"));
            res->SetHeader("Access-Control-Max-Age", "600");
          } else {
            auto match = builtins.Match(*method, request.RawPath());
            const Router* owner = &builtins;
            if (match.outcome == RouteMatch::Outcome::kNotFound) {
              match = router.Match(*method, request.RawPath());
              owner = &router;
            }
            if (match.outcome == RouteMatch::Outcome::kMatched) {
              exchange.route_key = match.handler;
              request.SetRoute(std::move(match.pattern), std::move(match.params));
              exchange.route = request.RoutePattern();
              if (match.async_handler != nullptr) {
                async = match.async_handler;
              } else if (match.options.non_blocking) {
                res = Guarded(*match.handler, request);
              } else {
                pooled = match.handler;
              }
            } else {
              res = ErrorResponse(owner->MatchError(request, match), request.RequestId());
              if (match.outcome == RouteMatch::Outcome::kMethodNotAllowed) {
                res->SetHeader("Allow", match.AllowHeader());
              }
            }
          }
          if (pooled != nullptr) {
            res = co_await RunOnPool(
                [pooled, &request] { return Guarded(*pooled, request); });
          } else if (async != nullptr) {
            res = co_await RunAsync(*async, request);
          }
          if (cors_allowed) {
            res->SetHeader("Access-Control-Allow-Origin", std::string(origin));
            res->SetHeader("Access-Control-Expose-Headers",
                           "X-Request-Id, ETag, Location, Retry-After");
            res->headers.Add("Vary", "Origin");
          }
        }
        exchange.request_id = request.RequestId();
        Decorate(request, *res);

        const bool keep_alive = parser.keep_alive() && !draining;
        const bool head = method == Method::kHead;
        const bool written = co_await WriteResponse(stream, conn, *res, parser.version, head,
                                                    keep_alive, request.RequestId());
        requests_in_flight.Dec();
        Record(worker, exchange, res->status, start, remote);
        if (!written) break;
        if (!keep_alive) {
          co_await Linger(stream, conn);
          break;
        }
      }
      conn.Close();
    }
  } catch (const std::exception& e) {
    log::Error("connection failed", {{"remote", remote}, {"error", e.what()}});
    conn.Close();
  }
}

template <typename Work>
Task<Response> Server::Impl::RunOnPool(Work work) {
  // Hands `work` to the handler pool and resumes this coroutine on its own executor with the
  // result, so blocking handlers never stall the I/O threads.
  co_return co_await net::async_initiate<const UseAwaitable&, void(Response)>(
      [this](auto handler, Work job) {
        auto executor = net::get_associated_executor(handler);
        net::post(pool, [handler = std::move(handler), job = std::move(job), executor]() mutable {
          auto res = job();
          net::post(executor, [handler = std::move(handler), res = std::move(res)]() mutable {
            handler(std::move(res));
          });
        });
      },
      UseAwaitable{}, std::move(work));
}

Task<Response> Server::Impl::RunAsync(const AsyncHandler& handler, const Request& request) {
  // The handler gets a Reply that owns this coroutine's completion; whichever thread calls it,
  // the coroutine resumes on its own I/O thread. Always posted, never resumed inside the
  // initiation, so a handler may reply before it returns.
  co_return co_await net::async_initiate<const UseAwaitable&, void(Response)>(
      [&handler, &request](auto completion) {
        using Completion = decltype(completion);
        struct State {
          explicit State(Completion c, std::string id)
              : executor(net::get_associated_executor(c)),
                completion(std::move(c)),
                request_id(std::move(id)) {}
          State(const State&) = delete;
          State& operator=(const State&) = delete;
          ~State() {
            if (done.exchange(true) || executor.context().stopped()) return;
            log::Error("asynchronous handler dropped its reply", {{"request_id", request_id}});
            Finish(ErrorResponse(Error(ErrorCode::kInternal, "internal error"), request_id));
          }
          void Finish(Response response) {
            net::post(executor, [c = std::move(completion), r = std::move(response)]() mutable {
              c(std::move(r));
            });
          }
          Executor executor;
          Completion completion;
          std::string request_id;
          std::atomic<bool> done{false};
        };
        auto state = std::make_shared<State>(std::move(completion), request.RequestId());
        Reply reply = [state](Response response) {
          if (state->done.exchange(true)) return;
          state->Finish(std::move(response));
        };
        try {
          handler(request, reply);
        } catch (...) {
          auto failure = CurrentFailure(request);
          if (state->done.load()) {
            log::Error("asynchronous handler threw after replying",
                       {{"request_id", request.RequestId()}});
          } else {
            reply(std::move(failure));
          }
        }
      },
      UseAwaitable{});
}

void Server::Impl::Decorate(const Request& request, Response& response) const {
  const auto& decorator = router.Decorator();
  if (!decorator) return;
  try {
    decorator(request, response);
  } catch (const std::exception& e) {
    log::Error("response decorator failed",
               {{"request_id", request.RequestId()}, {"error", e.what()}});
  }
}

Request Server::Impl::BareRequest(const RequestParser* parser, std::string request_id,
                                  const std::string& remote) const {
  Request request;
  if (parser != nullptr && !parser->method.empty()) {
    if (const auto method = ParseMethod(parser->method)) {
      try {
        request = Request(*method, parser->target);
      } catch (const Error&) {
        // An unusable target: the decorator sees "/" and the method.
        request = Request(*method, "/");
      }
    }
  }
  request.SetRequestId(std::move(request_id));
  request.SetRemoteAddress(remote);
  request.SetClientAddress(ResolveClientAddress(remote, Headers{}, config.trusted_proxies));
  return request;
}

void Server::Impl::Record(Worker& worker, const Exchange& exchange, int status,
                          Clock::time_point start, const std::string& remote) {
  const std::chrono::duration<double> elapsed = Clock::now() - start;
  auto& slot = worker.metric_cache[MetricKey{exchange.route_key, exchange.method, status}];
  if (slot.requests == nullptr) {
    const std::string route(exchange.route);
    const std::string method(exchange.method_name);
    slot.requests = &requests_total.WithLabels({route, method, std::to_string(status)});
    slot.duration = &request_duration.WithLabels({route, method});
  }
  slot.requests->Inc();
  slot.duration->Observe(elapsed.count());
  if (config.access_log) {
    log::Info("request", {{"method", std::string(exchange.method_name)},
                          {"route", std::string(exchange.route)},
                          {"path", std::string(exchange.path)},
                          {"status", status},
                          {"duration_ms", elapsed.count() * 1000.0},
                          {"request_id", std::string(exchange.request_id)},
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

namespace detail {

IoThread& CurrentIoThread() noexcept {
  thread_local IoThread current;
  return current;
}

}  // namespace detail

bool OnIoThread() noexcept { return detail::CurrentIoThread().ioc != nullptr; }

void Offload(std::function<void()> blocking, std::function<void()> then) {
  const auto& current = detail::CurrentIoThread();
  if (current.ioc == nullptr || current.pool == nullptr) {
    throw Error(ErrorCode::kFailedPrecondition, "http::Offload needs a server I/O thread");
  }
  net::post(*current.pool, [blocking = std::move(blocking), then = std::move(then),
                            ioc = current.ioc]() mutable {
    try {
      blocking();
    } catch (const std::exception& e) {
      log::Error("offloaded work threw", {{"error", e.what()}});
    } catch (...) {
      log::Error("offloaded work threw a non-standard exception");
    }
    net::post(*ioc, std::move(then));
  });
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

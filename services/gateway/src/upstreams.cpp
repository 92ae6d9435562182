#include "upstreams.hpp"

#include "dbaas/common/error.hpp"

namespace dbaas::gateway {
namespace {

std::string Unconfigured(std::string_view service) {
  return "service " + std::string(service) + " is not running";
}

}  // namespace

constexpr std::size_t kUnavailable = 5;
constexpr std::size_t kTimeout = 6;
constexpr const char* kOutcomes[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "unavailable", "timeout"};

Upstreams::Upstreams(std::map<std::string, std::string, std::less<>> base_urls,
                     std::chrono::milliseconds timeout, metrics::Registry& registry)
    : base_urls_(std::move(base_urls)),
      timeout_(timeout),
      requests_(registry.Counter(
          "dbaas_gateway_upstream_requests_total",
          "Requests forwarded to services by outcome (1xx..5xx, unavailable, timeout).",
          {"service", "outcome"})),
      duration_(registry.Histogram(
          "dbaas_gateway_upstream_duration_seconds",
          "Time from forwarding a request to receiving the service's response.", {"service"})) {
  http::ClientConfig proxy;
  proxy.request_timeout = timeout;
  proxy.connect_timeout = std::chrono::milliseconds(2000);
  proxy.max_attempts = 1;
  proxy.max_idle_per_host = 64;
  proxy.breaker.failure_threshold = 5;
  proxy.breaker.open_duration = std::chrono::seconds(5);
  proxy.user_agent = "dbaas-gateway";
  async_client_ = std::make_unique<http::AsyncClient>(proxy);
  proxy_client_ = std::make_unique<http::Client>(proxy);

  http::ClientConfig internal;
  internal.request_timeout = std::chrono::seconds(5);
  internal.connect_timeout = std::chrono::milliseconds(1000);
  internal.max_attempts = 2;
  internal.max_idle_per_host = 16;
  internal.breaker.failure_threshold = 5;
  internal.breaker.open_duration = std::chrono::seconds(2);
  internal.user_agent = "dbaas-gateway";
  internal_client_ = std::make_unique<http::Client>(internal);

  // Label lookups take the family's lock and build strings: do them once, not per request.
  for (const auto& [name, url] : base_urls_) {
    auto& m = service_metrics_[name];
    for (std::size_t i = 0; i < m.outcomes.size(); ++i) {
      m.outcomes[i] = &requests_.WithLabels({name, kOutcomes[i]});
    }
    m.duration = &duration_.WithLabels({name});
  }
}

Upstreams::~Upstreams() = default;

bool Upstreams::Configured(std::string_view service) const {
  return base_urls_.find(service) != base_urls_.end();
}

std::vector<std::string> Upstreams::Services() const {
  std::vector<std::string> out;
  for (const auto& [name, url] : base_urls_) out.push_back(name);
  return out;
}

const std::string& Upstreams::BaseUrl(std::string_view service) const {
  const auto it = base_urls_.find(service);
  if (it == base_urls_.end()) throw Error(ErrorCode::kUnavailable, Unconfigured(service));
  return it->second;
}

http::ClientRequest Upstreams::ProxyRequest(std::string_view service, http::Method method,
                                            const std::string& target, http::Headers headers,
                                            std::string body) const {
  http::ClientRequest request;
  request.method = method;
  const auto& base = BaseUrl(service);
  request.url.reserve(base.size() + target.size());
  request.url += base;
  request.url += target;
  request.headers = std::move(headers);
  request.body = std::move(body);
  request.timeout = timeout_;
  return request;
}

http::ClientResponse Upstreams::Forward(std::string_view service, http::Method method,
                                        const std::string& target, http::Headers headers,
                                        std::string body) {
  return Send(*proxy_client_, service,
              ProxyRequest(service, method, target, std::move(headers), std::move(body)), true);
}

void Upstreams::ForwardAsync(std::string_view service, http::Method method,
                             const std::string& target, http::Headers headers, std::string body,
                             std::function<void(http::AsyncResult)> done) {
  auto request = ProxyRequest(service, method, target, std::move(headers), std::move(body));
  const auto start = std::chrono::steady_clock::now();
  if (request.url.starts_with("https://")) {
    // The asynchronous client speaks plain HTTP: TLS upstreams take the blocking client.
    auto result = std::make_shared<http::AsyncResult>();
    http::Offload(
        [this, service = std::string(service), request = std::move(request), result]() mutable {
          try {
            result->response = Send(*proxy_client_, service, std::move(request), true);
          } catch (const Error& e) {
            result->error = e;
          }
        },
        [result, done = std::move(done)] { done(std::move(*result)); });
    return;
  }
  async_client_->Send(std::move(request), [this, service = std::string(service), start,
                                           done = std::move(done)](http::AsyncResult result) {
    if (result.response) {
      Count(service, Outcome(*result.response), start);
    } else if (result.error) {
      result.error = Failure(service, *result.error, start, true);
    }
    done(std::move(result));
  });
}

http::ClientResponse Upstreams::Call(std::string_view service, http::ClientRequest request) {
  request.url = BaseUrl(service) + request.target;
  return Send(*internal_client_, service, std::move(request), false);
}

std::size_t Upstreams::Outcome(const http::ClientResponse& response) const noexcept {
  const int cls = response.status / 100;
  return cls >= 1 && cls <= 5 ? static_cast<std::size_t>(cls - 1) : 4;
}

void Upstreams::Count(std::string_view service, std::size_t outcome,
                      std::chrono::steady_clock::time_point start) {
  const auto it = service_metrics_.find(service);
  if (it == service_metrics_.end()) return;
  it->second.outcomes[outcome]->Inc();
  it->second.duration->Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

Error Upstreams::Failure(std::string_view service, const Error& error,
                         std::chrono::steady_clock::time_point start, bool record) {
  const std::string name(service);
  if (error.Code() == ErrorCode::kDeadlineExceeded) {
    if (record) Count(service, kTimeout, start);
    return Error(ErrorCode::kDeadlineExceeded, "service " + name + " did not answer in time", {},
                 {"retry later; the operation may still complete"});
  }
  if (record) Count(service, kUnavailable, start);
  return Error(ErrorCode::kUnavailable, "service " + name + " is unavailable", {},
               {"retry later"});
}

http::ClientResponse Upstreams::Send(http::Client& client, std::string_view service,
                                     http::ClientRequest request, bool record) {
  const auto start = std::chrono::steady_clock::now();
  try {
    auto response = client.Send(std::move(request));
    if (record) Count(service, Outcome(response), start);
    return response;
  } catch (const Error& e) {
    throw Failure(service, e, start, record);
  }
}

}  // namespace dbaas::gateway

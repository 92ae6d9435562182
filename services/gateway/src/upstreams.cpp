#include "upstreams.hpp"

#include "dbaas/common/error.hpp"

namespace dbaas::gateway {
namespace {

std::string Unconfigured(std::string_view service) {
  return "service " + std::string(service) + " is not running";
}

}  // namespace

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

http::ClientResponse Upstreams::Forward(std::string_view service, http::Method method,
                                        const std::string& target, http::Headers headers,
                                        std::string body) {
  http::ClientRequest request;
  request.method = method;
  request.url = BaseUrl(service) + target;
  request.headers = std::move(headers);
  request.body = std::move(body);
  request.timeout = timeout_;
  return Send(*proxy_client_, service, std::move(request), true);
}

http::ClientResponse Upstreams::Call(std::string_view service, http::ClientRequest request) {
  request.url = BaseUrl(service) + request.target;
  return Send(*internal_client_, service, std::move(request), false);
}

http::ClientResponse Upstreams::Send(http::Client& client, std::string_view service,
                                     http::ClientRequest request, bool record) {
  const std::string name(service);
  const auto start = std::chrono::steady_clock::now();
  const auto count = [&](const char* outcome) {
    if (!record) return;
    requests_.WithLabels({name, outcome}).Inc();
    duration_.WithLabels({name}).Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  };
  try {
    auto response = client.Send(std::move(request));
    static constexpr const char* kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    const int cls = response.status / 100;
    count(cls >= 1 && cls <= 5 ? kClasses[cls - 1] : "5xx");
    return response;
  } catch (const Error& e) {
    if (e.Code() == ErrorCode::kDeadlineExceeded) {
      count("timeout");
      throw Error(ErrorCode::kDeadlineExceeded, "service " + name + " did not answer in time", {},
                  {"retry later; the operation may still complete"});
    }
    count("unavailable");
    throw Error(ErrorCode::kUnavailable, "service " + name + " is unavailable", {},
                {"retry later"});
  }
}

}  // namespace dbaas::gateway

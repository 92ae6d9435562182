#include "app.hpp"

#include <memory>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/events/audit.hpp"
#include "dbaas/events/background_publisher.hpp"
#include "dbaas/http/router.hpp"
#include "gateway.hpp"

namespace dbaas::gateway {

service::Definition Definition() {
  service::Definition def;
  def.name = std::string(kServiceName);
  def.default_port = kDefaultPort;
  def.configure = [](service::Context& ctx) {
    auto config = GatewayConfig::FromConfig(ctx.config, DefaultUpstreamTable().Services());
    if (!ctx.config.Problems().empty()) return;  // the host reports them all
    events::BackgroundPublisherConfig audit_config;
    audit_config.capacity = config.audit_queue;
    auto gateway = std::make_shared<Gateway>(std::move(config), ctx.metrics, ctx.clock);
    // Every answered call becomes an audit record published to JetStream off the request path;
    // access-control appends it to the audit chain.
    auto audit = std::make_shared<events::BackgroundPublisher>(ctx.nats, audit_config);
    gateway->SetAuditSink([publisher = audit.get()](events::AuditRecord record) {
      try {
        if (!publisher->Offer(events::MakeAuditEvent(std::move(record)))) {
          log::Error("audit record dropped: the audit queue is full");
        }
      } catch (const std::exception& e) {
        log::Error("audit record dropped", {{"error", e.what()}});
      }
    });
    ctx.workers.push_back(service::Worker{
        "audit-publisher", [publisher = audit.get()] { publisher->Start(); },
        [publisher = audit.get()] { publisher->Stop(std::chrono::seconds(5)); }});
    auto pending = std::make_shared<metrics::CallbackHandle>(ctx.metrics.CallbackGauge(
        "dbaas_gateway_audit_pending", "Audit records not yet acknowledged by JetStream.",
        [publisher = audit.get()] { return static_cast<double>(publisher->Pending()); }));
    auto dropped = std::make_shared<metrics::CallbackHandle>(ctx.metrics.CallbackGauge(
        "dbaas_gateway_audit_dropped", "Audit records lost since start (queue full or stopped).",
        [publisher = audit.get()] { return static_cast<double>(publisher->Dropped()); }));
    gateway->Register(ctx.router);
    for (auto& check : gateway->ReadinessChecks()) ctx.readiness_checks.push_back(check);
    ctx.keep_alive.push_back(gateway);
    ctx.keep_alive.push_back(audit);
    ctx.keep_alive.push_back(pending);
    ctx.keep_alive.push_back(dropped);
  };
  return def;
}

}  // namespace dbaas::gateway

#include "app.hpp"

#include <memory>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/events/audit.hpp"
#include "dbaas/events/background_publisher.hpp"
#include "dbaas/http/router.hpp"
#include "audit_batcher.hpp"
#include "gateway.hpp"

namespace dbaas::gateway {

service::Definition Definition() {
  service::Definition def;
  def.name = std::string(kServiceName);
  def.default_port = kDefaultPort;
  def.configure = [](service::Context& ctx) {
    auto config = GatewayConfig::FromConfig(ctx.config, DefaultUpstreamTable().Services());
    if (!ctx.config.Problems().empty()) return;  // the host reports them all
    // Every answered call becomes an audit record; records travel in batch events published
    // to JetStream off the request path; access-control appends them to the audit chain.
    constexpr std::size_t kAuditBatch = 256;
    events::BackgroundPublisherConfig audit_config;
    audit_config.capacity = std::max<std::size_t>(1, config.audit_queue / kAuditBatch);
    auto gateway = std::make_shared<Gateway>(std::move(config), ctx.metrics, ctx.clock);
    auto audit = std::make_shared<events::BackgroundPublisher>(ctx.nats, audit_config);
    auto batcher =
        std::make_shared<AuditBatcher>(*audit, kAuditBatch, std::chrono::milliseconds(50));
    gateway->SetAuditSink(
        [batcher = batcher.get()](events::AuditRecord record) { batcher->Add(std::move(record)); });
    ctx.workers.push_back(service::Worker{
        "audit-publisher",
        [publisher = audit.get(), batcher = batcher.get()] {
          publisher->Start();
          batcher->Start();
        },
        [publisher = audit.get(), batcher = batcher.get()] {
          batcher->Stop();
          publisher->Stop(std::chrono::seconds(5));
        }});
    auto pending = std::make_shared<metrics::CallbackHandle>(ctx.metrics.CallbackGauge(
        "dbaas_gateway_audit_pending", "Audit batches not yet acknowledged by JetStream.",
        [publisher = audit.get()] { return static_cast<double>(publisher->Pending()); }));
    auto dropped = std::make_shared<metrics::CallbackHandle>(ctx.metrics.CallbackGauge(
        "dbaas_gateway_audit_dropped", "Audit batches lost since start (queue full or stopped).",
        [publisher = audit.get()] { return static_cast<double>(publisher->Dropped()); }));
    gateway->Register(ctx.router);
    for (auto& check : gateway->ReadinessChecks()) ctx.readiness_checks.push_back(check);
    ctx.keep_alive.push_back(gateway);
    ctx.keep_alive.push_back(audit);
    ctx.keep_alive.push_back(batcher);
    ctx.keep_alive.push_back(pending);
    ctx.keep_alive.push_back(dropped);
  };
  return def;
}

}  // namespace dbaas::gateway

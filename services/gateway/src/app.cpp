#include "app.hpp"

#include <memory>

#include "dbaas/common/clock.hpp"
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
    auto gateway = std::make_shared<Gateway>(std::move(config), ctx.metrics, ctx.clock);
    gateway->Register(ctx.router);
    for (auto& check : gateway->ReadinessChecks()) ctx.readiness_checks.push_back(check);
    ctx.keep_alive.push_back(gateway);
  };
  return def;
}

}  // namespace dbaas::gateway

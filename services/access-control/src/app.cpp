#include "app.hpp"

#include <memory>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/http/router.hpp"
#include "dbaas/store/store.hpp"
#include "domain/tenant_events.hpp"
#include "handlers/tenant_handlers.hpp"
#include "repository/pg_tenant_repository.hpp"

namespace dbaas::access_control {

std::span<const store::Migration> Migrations();  // generated from src/migrations

namespace {

// Everything the service builds, kept alive by the host.
struct Components {
  explicit Components(service::Context& ctx)
      : repository(ctx.pool), tenants(repository, ctx.clock), handlers(tenants) {}
  PgTenantRepository repository;
  TenantService tenants;
  TenantHandlers handlers;
};

}  // namespace

service::Definition Definition() {
  service::Definition def;
  def.name = std::string(kServiceName);
  def.default_port = kDefaultPort;
  def.migrations = Migrations();
  def.configure = [](service::Context& ctx) {
    auto components = std::make_shared<Components>(ctx);
    components->handlers.Register(ctx.router);
    auto* repository = &components->repository;
    ctx.workers.push_back(service::Worker{
        "idempotency-purge",
        [repository] {
          const auto purged = repository->PurgeIdempotencyKeys();
          if (purged > 0) log::Info("purged idempotency keys", {{"count", purged}});
        },
        {}});
    ctx.keep_alive.push_back(components);
  };
  return def;
}

}  // namespace dbaas::access_control

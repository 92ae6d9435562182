#include "app.hpp"

#include <filesystem>
#include <memory>

#include "dbaas/common/log.hpp"
#include "dbaas/engines/catalog.hpp"
#include "dbaas/events/consumer.hpp"
#include "dbaas/events/v1/tenant.pb.h"
#include "dbaas/http/router.hpp"
#include "dbaas/runtime/local_runtime.hpp"
#include "dbaas/service/caller_verifier.hpp"
#include "dbaas/service/periodic_worker.hpp"
#include "domain/database_service.hpp"
#include "domain/instance_service.hpp"
#include "domain/operation_runner.hpp"
#include "domain/parameter_group_service.hpp"
#include "handlers/database_handlers.hpp"
#include "handlers/instance_handlers.hpp"
#include "handlers/parameter_group_handlers.hpp"
#include "repository/pg_parameter_group_repository.hpp"
#include "repository/pg_provisioning_repository.hpp"

namespace dbaas::provisioning {

std::span<const store::Migration> Migrations();  // generated from src/migrations

namespace {

struct Settings {
  service::CallerVerifierConfig callers;
  runtime::LocalRuntimeConfig runtime;
  RunnerConfig runner;
  std::chrono::milliseconds health_interval{10000};
};

Settings ReadSettings(ConfigReader& cfg) {
  Settings s;
  s.callers = service::CallerVerifierConfig::FromEnv(cfg);
  const std::filesystem::path state = cfg.String("DBAAS_STATE_DIR", ".dbaas");
  s.runtime.state_dir = cfg.String("DBAAS_RUNTIME_DIR", (state / "runtime").string());
  s.runtime.port_min =
      static_cast<std::uint16_t>(cfg.Int("DBAAS_INSTANCE_PORT_MIN", 16000, 1024, 65535));
  s.runtime.port_max =
      static_cast<std::uint16_t>(cfg.Int("DBAAS_INSTANCE_PORT_MAX", 16999, 1024, 65535));
  if (s.runtime.port_max < s.runtime.port_min) {
    cfg.Fail("DBAAS_INSTANCE_PORT_MAX", "must not be below DBAAS_INSTANCE_PORT_MIN");
  }
  s.runtime.os_user = cfg.String("DBAAS_INSTANCE_OS_USER", s.runtime.os_user);
  s.runtime.fast_init = cfg.Bool("DBAAS_INSTANCE_FAST_INIT", false);
  s.runner.workers = static_cast<int>(cfg.Int("DBAAS_OPERATION_WORKERS", 4, 1, 64));
  s.runner.lease = cfg.Duration("DBAAS_OPERATION_LEASE", s.runner.lease);
  if (s.runner.lease < std::chrono::seconds(1)) {
    cfg.Fail("DBAAS_OPERATION_LEASE", "must be at least 1s");
  }
  s.health_interval = cfg.Duration("DBAAS_HEALTH_INTERVAL", s.health_interval);
  return s;
}

events::ConsumerConfig TenantConsumerConfig() {
  events::ConsumerConfig config;
  config.durable = "provisioning-tenants";
  config.filter_subject = "dbaas.access-control.tenant.*";
  return config;
}

// Keeps tenant_limits in step with access-control's tenant events.
void OnTenantEvent(PgProvisioningRepository& repository, const events::Event& e, store::Tx& tx) {
  if (e.payload_type == "dbaas.events.v1.TenantCreated") {
    events::v1::TenantCreated m;
    if (!m.ParseFromString(e.payload)) throw Error(ErrorCode::kInvalidArgument, "bad payload");
    repository.UpsertTenantLimits(tx, m.tenant_id(), m.active(), m.limits().max_instances(),
                                  m.limits().max_storage_gb());
  } else if (e.payload_type == "dbaas.events.v1.TenantUpdated") {
    events::v1::TenantUpdated m;
    if (!m.ParseFromString(e.payload)) throw Error(ErrorCode::kInvalidArgument, "bad payload");
    repository.UpsertTenantLimits(tx, m.tenant_id(), m.active(), m.limits().max_instances(),
                                  m.limits().max_storage_gb());
  } else if (e.payload_type == "dbaas.events.v1.TenantDeleted") {
    events::v1::TenantDeleted m;
    if (!m.ParseFromString(e.payload)) throw Error(ErrorCode::kInvalidArgument, "bad payload");
    repository.UpsertTenantLimits(tx, m.tenant_id(), false, 0, 0);
  }
}

struct Components {
  Components(service::Context& ctx, Settings s)
      : settings(std::move(s)),
        repository(ctx.pool),
        group_repository(ctx.pool),
        runtime(settings.runtime),
        callers(settings.callers, ctx.clock),
        groups(group_repository, ctx.clock),
        instances(repository, groups, engines::DetectEngines(), ctx.master_keys, ctx.clock),
        runner(repository, group_repository, runtime, ctx.master_keys, settings.runner),
        handlers(instances, callers),
        group_handlers(groups, callers),
        databases(repository, ctx.master_keys),
        database_handlers(databases, callers),
        tenants(ctx.pool, ctx.nats, TenantConsumerConfig(),
                [this](const events::Event& e, store::Tx& tx) { OnTenantEvent(repository, e, tx); }) {
    instances.OnOperationQueued([this] { runner.Wake(); });
  }

  Settings settings;
  PgProvisioningRepository repository;
  PgParameterGroupRepository group_repository;
  runtime::LocalRuntime runtime;
  service::CallerVerifier callers;
  ParameterGroupService groups;
  InstanceService instances;
  OperationRunner runner;
  InstanceHandlers handlers;
  ParameterGroupHandlers group_handlers;
  DatabaseService databases;
  DatabaseHandlers database_handlers;
  events::Consumer tenants;
};

}  // namespace

service::Definition Definition() {
  service::Definition def;
  def.name = std::string(kServiceName);
  def.default_port = kDefaultPort;
  def.migrations = Migrations();
  def.configure = [](service::Context& ctx) {
    auto settings = ReadSettings(ctx.config);
    if (!ctx.config.Problems().empty()) return;  // the host reports them all
    auto components = std::make_shared<Components>(ctx, std::move(settings));
    components->handlers.Register(ctx.router);
    components->group_handlers.Register(ctx.router);
    components->database_handlers.Register(ctx.router);
    auto* c = components.get();
    ctx.workers.push_back(service::Worker{"tenant-events", [c] { c->tenants.Start(); },
                                          [c] { c->tenants.Stop(); }});
    ctx.workers.push_back(service::Worker{"operations", [c] { c->runner.Start(); },
                                          [c] { c->runner.Stop(); }});
    ctx.workers.push_back(service::PeriodicWorker(
        "instance-health", c->settings.health_interval,
        [c] { CheckInstanceHealth(c->repository, c->runtime); }));
    ctx.keep_alive.push_back(components);
  };
  return def;
}

}  // namespace dbaas::provisioning

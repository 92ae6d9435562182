#include "dbaas/service/service_host.hpp"

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/events/jetstream.hpp"
#include "dbaas/events/outbox.hpp"
#include "dbaas/events/outbox_relay.hpp"
#include "dbaas/http/server.hpp"
#include "dbaas/metrics/registry.hpp"
#include "dbaas/store/store.hpp"

namespace dbaas::service {
namespace {

store::PoolConfig ReadPoolConfig(ConfigReader& cfg, const std::string& service) {
  store::PoolConfig pool;
  pool.dsn = cfg.Required("DBAAS_DATABASE_URL");
  if (!pool.dsn.empty() && pool.dsn.rfind("postgresql://", 0) != 0 &&
      pool.dsn.rfind("postgres://", 0) != 0 && pool.dsn.find('=') == std::string::npos) {
    cfg.Fail("DBAAS_DATABASE_URL",
             "must be a postgresql:// URI or a libpq key=value connection string");
  }
  pool.size = static_cast<std::size_t>(cfg.Int("DBAAS_DB_POOL_SIZE", 8, 1, 256));
  pool.statement_timeout =
      cfg.Duration("DBAAS_DB_STATEMENT_TIMEOUT", std::chrono::seconds(30), std::chrono::milliseconds(1));
  pool.acquire_timeout =
      cfg.Duration("DBAAS_DB_ACQUIRE_TIMEOUT", std::chrono::seconds(5), std::chrono::milliseconds(1));
  pool.application_name = "dbaas-" + service;
  return pool;
}

log::Level ReadLogLevel(ConfigReader& cfg) {
  log::Level level = log::Level::kInfo;
  log::ParseLevel(cfg.OneOf("DBAAS_LOG_LEVEL", "info", {"debug", "info", "warn", "error", "off"}),
                  level);
  return level;
}

}  // namespace

struct Host::Impl {
  Definition definition;
  ConfigReader config;
  log::Level log_level = log::Level::kInfo;
  http::ServerConfig http_config;
  std::optional<std::string> master_key_text;
  std::string master_key_file;
  std::chrono::milliseconds database_wait{30000};

  crypto::KeyRing master_keys;
  metrics::Registry registry;
  std::unique_ptr<store::Pool> pool;
  std::unique_ptr<events::JetStream> nats;
  std::unique_ptr<events::OutboxRelay> relay;
  http::Router router;
  std::unique_ptr<Context> context;
  std::unique_ptr<http::Server> server;
  std::vector<metrics::CallbackHandle> gauges;
  std::thread background;
  std::atomic<bool> workers_started{false};
  std::size_t started_workers = 0;

  Impl(Definition def, ConfigReader::Lookup lookup)
      : definition(std::move(def)),
        config(lookup ? ConfigReader(std::move(lookup)) : ConfigReader()) {}

  void StopWorkers() {
    // Reverse order of start; each worker must tolerate Stop without Start.
    while (started_workers > 0) {
      auto& w = context->workers[--started_workers];
      try {
        if (w.stop) w.stop();
      } catch (const std::exception& e) {
        log::Error("worker failed to stop", {{"worker", w.name}, {"error", e.what()}});
      }
    }
    if (relay) relay->Stop();
  }
};

Host::Host(Definition definition, ConfigReader::Lookup lookup)
    : impl_(std::make_unique<Impl>(std::move(definition), std::move(lookup))) {
  auto& cfg = impl_->config;
  const std::string& name = impl_->definition.name;
  impl_->log_level = ReadLogLevel(cfg);
  log::Init(name, impl_->log_level);
  impl_->http_config = http::ServerConfig::FromEnv(cfg, name, impl_->definition.default_port);
  auto pool_config = ReadPoolConfig(cfg, name);
  impl_->database_wait =
      cfg.Duration("DBAAS_DATABASE_WAIT", std::chrono::seconds(30), std::chrono::milliseconds(0));
  auto nats_config = events::NatsConfig::FromEnv(cfg, name);
  const std::string state_dir = cfg.String("DBAAS_STATE_DIR", ".dbaas");
  auto key = cfg.String("DBAAS_MASTER_KEY", "");
  if (!key.empty()) impl_->master_key_text = key;
  impl_->master_key_file =
      cfg.String("DBAAS_MASTER_KEY_FILE", state_dir + "/secrets/master.key");

  // Nothing below connects yet: the pool is lazy and JetStream retries in the background.
  impl_->pool = std::make_unique<store::Pool>(std::move(pool_config));
  impl_->nats = std::make_unique<events::JetStream>(std::move(nats_config));
  impl_->relay = std::make_unique<events::OutboxRelay>(*impl_->pool, *impl_->nats);
  impl_->context = std::unique_ptr<Context>(new Context{
      name, cfg, *impl_->pool, *impl_->nats, impl_->registry, impl_->master_keys,
      SystemClock::Instance(), impl_->router, {}, {}, {}});
  if (impl_->definition.configure) impl_->definition.configure(*impl_->context);
  cfg.Finish();
}

Host::~Host() {
  Stop();
  if (impl_->background.joinable()) impl_->background.join();
  impl_->StopWorkers();
}

void Host::Start() {
  auto& impl = *impl_;
  const std::string& name = impl.definition.name;

  if (impl.master_key_text) {
    impl.master_keys = crypto::ParseKeys(*impl.master_key_text);
  } else {
    const auto dir = std::filesystem::path(impl.master_key_file).parent_path();
    if (!dir.empty() && !std::filesystem::exists(dir)) {
      std::filesystem::create_directories(dir);
      std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
    }
    impl.master_keys = crypto::LoadOrCreateKeyFile(impl.master_key_file);
  }
  log::Info("master key loaded", {{"key_id", impl.master_keys.Primary().id}});

  // The control-plane database may still be starting (first boot, restart): wait for it.
  const auto deadline = std::chrono::steady_clock::now() + impl.database_wait;
  for (;;) {
    try {
      const int events_applied =
          store::Migrate(*impl.pool, events::kMigrationComponent, events::Migrations());
      const int own_applied = store::Migrate(*impl.pool, name, impl.definition.migrations);
      log::Info("database ready", {{"migrations_applied", events_applied + own_applied}});
      break;
    } catch (const Error& e) {
      if (e.Code() != ErrorCode::kUnavailable || std::chrono::steady_clock::now() >= deadline) {
        throw;
      }
      log::Warn("database not reachable yet; retrying", {{"error", e.what()}});
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }

  try {
    impl.nats->EnsureStream();
  } catch (const Error& e) {
    // Events wait in the outbox until NATS is back; the service can still take requests.
    log::Warn("NATS JetStream not reachable at start; events will be published later",
              {{"error", e.what()}});
  }

  auto* pool = impl.pool.get();
  auto* nats = impl.nats.get();
  auto* relay = impl.relay.get();
  impl.gauges.push_back(impl.registry.CallbackGauge(
      "dbaas_db_pool_connections_open", "Open connections in the database pool",
      [pool] { return static_cast<double>(pool->OpenConnections()); }));
  impl.gauges.push_back(impl.registry.CallbackGauge(
      "dbaas_db_pool_connections_busy", "Database pool connections in use",
      [pool] { return static_cast<double>(pool->BusyConnections()); }));
  impl.gauges.push_back(impl.registry.CallbackGauge(
      "dbaas_events_outbox_pending", "Events committed but not yet published to NATS",
      [relay] {
        try {
          return static_cast<double>(relay->Pending());
        } catch (const Error&) {
          return -1.0;  // the database is unreachable; /readyz says so too
        }
      }));
  impl.gauges.push_back(impl.registry.CallbackGauge(
      "dbaas_nats_connected", "1 while connected to NATS",
      [nats] { return nats->Connected() ? 1.0 : 0.0; }));

  impl.server = std::make_unique<http::Server>(impl.http_config, std::move(impl.router),
                                               impl.registry);
  impl.server->AddReadinessCheck("database", [pool] { return pool->Ping(); });
  impl.server->AddReadinessCheck("nats", [nats] { return nats->Connected(); });
  for (auto& [check_name, check] : impl.context->readiness_checks) {
    impl.server->AddReadinessCheck(check_name, check);
  }
  impl.server->Listen();

  impl.relay->Start();
  for (auto& worker : impl.context->workers) {
    if (worker.start) worker.start();
    ++impl.started_workers;
  }
  log::Info("service started", {{"port", static_cast<std::int64_t>(impl.server->Port())},
                                {"tls", !impl.http_config.tls_cert_file.empty()}});
}

void Host::Run() {
  impl_->server->Run();
  log::Info("HTTP server drained; stopping workers");
  impl_->StopWorkers();
  log::Info("service stopped");
}

void Host::RunInBackground() {
  impl_->background = std::thread([this] { Run(); });
}

void Host::Stop() {
  if (impl_->server) impl_->server->Stop();
}

std::uint16_t Host::Port() const { return impl_->server ? impl_->server->Port() : 0; }

int Main(Definition definition) {
  log::Init(definition.name, log::Level::kInfo);
  std::unique_ptr<Host> host;
  try {
    host = std::make_unique<Host>(std::move(definition));
  } catch (const Error& e) {
    log::Error("invalid configuration", {{"error", e.what()}});
    return 2;
  }
  try {
    host->Start();
  } catch (const std::exception& e) {
    log::Error("failed to start", {{"error", e.what()}});
    return 1;
  }
  host->Run();
  return 0;
}

}  // namespace dbaas::service

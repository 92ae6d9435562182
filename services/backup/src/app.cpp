#include "app.hpp"

#include <filesystem>
#include <memory>

#include "clients/provisioning_client.hpp"
#include "dbaas/common/clock.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/events/consumer.hpp"
#include "dbaas/http/router.hpp"
#include "dbaas/service/caller_verifier.hpp"
#include "dbaas/service/periodic_worker.hpp"
#include "domain/backup_runner.hpp"
#include "domain/backup_service.hpp"
#include "domain/capacity_monitor.hpp"
#include "dbaas/events/outbox.hpp"
#include "dbaas/metrics/registry.hpp"
#include "executor/pipeline_executor.hpp"
#include "storage/filesystem_store.hpp"
#include "storage/s3_store.hpp"
#include "handlers/backup_handlers.hpp"
#include "repository/pg_backup_repository.hpp"

namespace dbaas::backup {

std::span<const store::Migration> Migrations();  // generated from src/migrations

namespace {

struct Settings {
  service::CallerVerifierConfig callers;
  ServiceSettings service;
  RunnerConfig runner;
  PipelineExecutorConfig executor;
  /// "filesystem" (default, under the state directory) or "s3".
  std::string storage = "filesystem";
  FilesystemStoreConfig filesystem;
  S3StoreConfig s3;
  std::string provisioning_url = "http://127.0.0.1:8082";
  std::string service_api_key;
  std::chrono::milliseconds scheduler_interval{30000};
  std::chrono::milliseconds retention_interval{600000};
  double storage_alert_percent = 80;
  std::chrono::milliseconds capacity_interval{60000};
};

Settings ReadSettings(ConfigReader& cfg) {
  Settings s;
  s.callers = service::CallerVerifierConfig::FromEnv(cfg);
  const std::filesystem::path state = cfg.String("DBAAS_STATE_DIR", ".dbaas");
  s.filesystem.root = cfg.String("DBAAS_BACKUP_DIR", (state / "backups").string());
  s.executor.scratch_dir = state / "backup-scratch";
  s.executor.postgres_bin_dir = cfg.String("DBAAS_POSTGRES_BIN_DIR", s.executor.postgres_bin_dir);
  s.storage = cfg.String("DBAAS_BACKUP_STORAGE", s.storage);
  if (s.storage == "s3") {
    s.s3.endpoint = cfg.String("DBAAS_BACKUP_S3_ENDPOINT", "");
    s.s3.bucket = cfg.String("DBAAS_BACKUP_S3_BUCKET", "");
    s.s3.region = cfg.String("DBAAS_BACKUP_S3_REGION", s.s3.region);
    s.s3.access_key = cfg.String("DBAAS_BACKUP_S3_ACCESS_KEY", "");
    s.s3.secret_key = cfg.String("DBAAS_BACKUP_S3_SECRET_KEY", "");
    for (const auto& [name, value] :
         {std::pair{"DBAAS_BACKUP_S3_ENDPOINT", s.s3.endpoint},
          std::pair{"DBAAS_BACKUP_S3_BUCKET", s.s3.bucket},
          std::pair{"DBAAS_BACKUP_S3_ACCESS_KEY", s.s3.access_key},
          std::pair{"DBAAS_BACKUP_S3_SECRET_KEY", s.s3.secret_key}}) {
      if (value.empty()) cfg.Fail(name, "is required when DBAAS_BACKUP_STORAGE=s3");
    }
  } else if (s.storage != "filesystem") {
    cfg.Fail("DBAAS_BACKUP_STORAGE", "must be filesystem or s3");
  }
  const auto compression = cfg.String("DBAAS_BACKUP_COMPRESSION", "zstd");
  if (auto c = ParseCompression(compression)) {
    s.executor.options.compression = *c;
  } else {
    cfg.Fail("DBAAS_BACKUP_COMPRESSION", "must be zstd, gzip, lz4 or none");
  }
  // Property 11: backup reads throttled to this many MB/s (0: unthrottled).
  const auto rate = cfg.Int("DBAAS_BACKUP_RATE_LIMIT_MBPS", 0, 0, 100000);
  if (rate > 0) s.executor.options.throttle_mb_per_s = static_cast<double>(rate);
  s.provisioning_url = cfg.String("DBAAS_PROVISIONING_URL", s.provisioning_url);
  if (!s.provisioning_url.starts_with("http://") && !s.provisioning_url.starts_with("https://")) {
    cfg.Fail("DBAAS_PROVISIONING_URL", "must be an http:// or https:// URL");
  }
  s.service_api_key = cfg.String("DBAAS_SERVICE_API_KEY", "");
  s.service.defaults.retention_days =
      static_cast<int>(cfg.Int("DBAAS_BACKUP_DEFAULT_RETENTION_DAYS", 7, 1, 3650));
  // Full (physical) backups are the base of point-in-time recovery; MySQL instances get
  // logical ones (a physical MariaDB backup needs the data directory).
  s.service.defaults.type = cfg.String("DBAAS_BACKUP_DEFAULT_TYPE", "full");
  s.service.supported_types = {"full", "logical"};
  if (!s.service.supported_types.contains(s.service.defaults.type)) {
    cfg.Fail("DBAAS_BACKUP_DEFAULT_TYPE", "must be full or logical");
  }
  s.runner.workers = static_cast<int>(cfg.Int("DBAAS_BACKUP_WORKERS", 2, 1, 32));
  s.runner.lease = cfg.Duration("DBAAS_OPERATION_LEASE", s.runner.lease);
  if (s.runner.lease < std::chrono::seconds(1)) {
    cfg.Fail("DBAAS_OPERATION_LEASE", "must be at least 1s");
  }
  s.storage_alert_percent =
      static_cast<double>(cfg.Int("DBAAS_BACKUP_STORAGE_ALERT_PERCENT", 80, 1, 100));
  s.capacity_interval = cfg.Duration("DBAAS_BACKUP_CAPACITY_INTERVAL", s.capacity_interval);
  if (s.capacity_interval < std::chrono::milliseconds(100)) {
    cfg.Fail("DBAAS_BACKUP_CAPACITY_INTERVAL", "must be at least 100ms");
  }
  s.scheduler_interval = cfg.Duration("DBAAS_BACKUP_SCHEDULER_INTERVAL", s.scheduler_interval);
  s.retention_interval = cfg.Duration("DBAAS_BACKUP_RETENTION_INTERVAL", s.retention_interval);
  if (s.scheduler_interval < std::chrono::milliseconds(100)) {
    cfg.Fail("DBAAS_BACKUP_SCHEDULER_INTERVAL", "must be at least 100ms");
  }
  if (s.retention_interval < std::chrono::milliseconds(100)) {
    cfg.Fail("DBAAS_BACKUP_RETENTION_INTERVAL", "must be at least 100ms");
  }
  return s;
}

events::ConsumerConfig InstanceConsumerConfig() {
  events::ConsumerConfig config;
  config.durable = "backup-instances";
  config.filter_subject = "dbaas.provisioning.instance.*";
  return config;
}

std::unique_ptr<ObjectStore> MakeStore(const Settings& s) {
  if (s.storage == "s3") return std::make_unique<S3Store>(s.s3);
  return std::make_unique<FilesystemStore>(s.filesystem);
}

struct Components {
  Components(service::Context& ctx, Settings s)
      : settings(std::move(s)),
        clock(ctx.clock),
        repository(ctx.pool),
        store(MakeStore(settings)),
        executor(*store, ctx.master_keys, settings.executor),
        capacity(*store, settings.storage_alert_percent,
                 [this](const events::Event& e) {
                   repository.InTransaction([&](store::Tx& tx) { events::Enqueue(tx, e); });
                 }),
        targets(settings.provisioning_url, settings.service_api_key),
        callers(settings.callers, ctx.clock),
        backups(repository, executor, settings.service, ctx.clock),
        runner(repository, executor, targets, settings.runner, ctx.clock),
        handlers(backups, callers),
        instances(
            ctx.pool, ctx.nats, InstanceConsumerConfig(),
            [this](const events::Event& e, store::Tx& tx) { backups.OnInstanceEvent(e, tx); }) {
    backups.OnQueued([this] { runner.Wake(); });
  }

  Settings settings;
  const Clock& clock;
  PgBackupRepository repository;
  std::unique_ptr<ObjectStore> store;
  PipelineExecutor executor;
  CapacityMonitor capacity;
  std::vector<metrics::CallbackHandle> gauges;
  ProvisioningClient targets;
  service::CallerVerifier callers;
  BackupService backups;
  BackupRunner runner;
  BackupHandlers handlers;
  events::Consumer instances;
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
    if (settings.service_api_key.empty()) {
      log::Warn("DBAAS_SERVICE_API_KEY is not set: backups cannot reach instances until it is");
    }
    auto components = std::make_shared<Components>(ctx, std::move(settings));
    components->handlers.Register(ctx.router);
    auto* c = components.get();
    // Backup storage use, for alert rules on top of the capacity events.
    const auto last = [c](auto field) {
      return [c, field] {
        const auto capacity = c->capacity.Last();
        return capacity ? field(*capacity) : 0.0;
      };
    };
    c->gauges.push_back(ctx.metrics.CallbackGauge(
        "dbaas_backup_storage_used_bytes", "Bytes of backups and archived logs in the store",
        last([](const StoreCapacity& s) { return static_cast<double>(s.used_bytes); })));
    c->gauges.push_back(ctx.metrics.CallbackGauge(
        "dbaas_backup_storage_used_ratio",
        "Used share of the backup store's space (filesystem or quota), 0-1",
        last([](const StoreCapacity& s) { return UsedPercent(s).value_or(0) / 100.0; })));
    ctx.workers.push_back(service::PeriodicWorker("backup-capacity",
                                                  c->settings.capacity_interval,
                                                  [c] { c->capacity.Check(); }));
    ctx.workers.push_back(service::Worker{"instance-events", [c] { c->instances.Start(); },
                                          [c] { c->instances.Stop(); }});
    ctx.workers.push_back(
        service::Worker{"backups", [c] { c->runner.Start(); }, [c] { c->runner.Stop(); }});
    // Runs at start-up too, so a slot missed while the service was down fires once now.
    ctx.workers.push_back(
        service::PeriodicWorker("backup-scheduler", c->settings.scheduler_interval, [c] {
          if (RunScheduler(c->repository, c->clock.Now()) > 0) c->runner.Wake();
        }));
    ctx.workers.push_back(
        service::PeriodicWorker("backup-retention", c->settings.retention_interval,
                                [c] { RunRetention(c->repository, c->executor, c->clock.Now()); }));
    ctx.keep_alive.push_back(components);
  };
  return def;
}

}  // namespace dbaas::backup

#include "app.hpp"

#include <memory>
#include <thread>
#include <vector>

#include "bootstrap_admin.hpp"
#include "dbaas/common/clock.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/events/audit.hpp"
#include "dbaas/events/consumer.hpp"
#include "dbaas/events/outbox.hpp"
#include "dbaas/service/periodic_worker.hpp"
#include "dbaas/http/router.hpp"
#include "dbaas/store/store.hpp"
#include "domain/api_key_service.hpp"
#include "domain/audit_log.hpp"
#include "domain/ldap_login.hpp"
#include "domain/ldap_settings.hpp"
#include "domain/oidc_mapping.hpp"
#include "domain/password.hpp"
#include "domain/role_service.hpp"
#include "domain/signing_keys.hpp"
#include "domain/tenant_events.hpp"
#include "domain/token_service.hpp"
#include "domain/user_service.hpp"
#include "handlers/api_key_handlers.hpp"
#include "handlers/audit_handlers.hpp"
#include "handlers/auth_handlers.hpp"
#include "handlers/role_handlers.hpp"
#include "handlers/tenant_handlers.hpp"
#include "handlers/user_handlers.hpp"
#include "repository/pg_audit_repository.hpp"
#include "ldap/openldap_directory.hpp"
#include "oidc/oidc_provider.hpp"
#include "repository/pg_idempotency_keys.hpp"
#include "repository/pg_identity_repository.hpp"
#include "repository/pg_tenant_repository.hpp"
#include "repository/pg_token_repository.hpp"

namespace dbaas::access_control {

std::span<const store::Migration> Migrations();  // generated from src/migrations
namespace audit {
std::span<const store::Migration> Migrations();  // generated from src/audit_migrations
}

namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

// Settings of access-control beyond the host's common ones.
struct Settings {
  TokenConfig tokens;
  std::optional<std::string> admin_password;
  std::filesystem::path admin_password_file;
  /// The audit database as the INSERT+SELECT-only writer role.
  std::string audit_url;
  /// The audit database as its owner, only to apply the audit migrations at start (optional).
  std::string audit_migration_url;
  std::optional<LdapSettings> ldap;
  std::optional<OidcSettings> oidc;
};

Settings ReadSettings(ConfigReader& cfg) {
  Settings s;
  s.tokens.issuer = cfg.String("DBAAS_TOKEN_ISSUER", "dbaas");
  s.tokens.audience = cfg.String("DBAAS_TOKEN_AUDIENCE", "dbaas");
  s.tokens.access_ttl = duration_cast<seconds>(
      cfg.Duration("DBAAS_ACCESS_TOKEN_TTL", std::chrono::minutes(15), seconds(30)));
  s.tokens.refresh_ttl = duration_cast<seconds>(
      cfg.Duration("DBAAS_REFRESH_TOKEN_TTL", std::chrono::hours(7 * 24), std::chrono::minutes(1)));
  s.tokens.lockout.lock_duration = duration_cast<seconds>(
      cfg.Duration("DBAAS_LOGIN_LOCK_DURATION", std::chrono::minutes(15), seconds(1)));
  s.tokens.source_max_failures =
      static_cast<int>(cfg.Int("DBAAS_LOGIN_SOURCE_MAX_FAILURES", 20, 1, 100'000));
  s.tokens.source_window = duration_cast<seconds>(
      cfg.Duration("DBAAS_LOGIN_SOURCE_WINDOW", std::chrono::minutes(5), seconds(1)));
  if (s.tokens.issuer.empty()) cfg.Fail("DBAAS_TOKEN_ISSUER", "must not be empty");
  if (s.tokens.audience.empty()) cfg.Fail("DBAAS_TOKEN_AUDIENCE", "must not be empty");
  if (auto password = cfg.String("DBAAS_ADMIN_PASSWORD", ""); !password.empty()) {
    if (auto problem = CheckPassword(password, "admin")) {
      cfg.Fail("DBAAS_ADMIN_PASSWORD", *problem);  // the problem, never the value
    }
    s.admin_password = password;
  }
  s.admin_password_file =
      std::filesystem::path(cfg.String("DBAAS_STATE_DIR", ".dbaas")) / "secrets" / "admin.password";
  s.audit_url = cfg.String("DBAAS_AUDIT_DATABASE_URL", "");
  if (s.audit_url.empty()) {
    cfg.Fail("DBAAS_AUDIT_DATABASE_URL",
             "must name the audit database (kept apart from access-control's own), connecting "
             "as a role that may only INSERT and SELECT there");
  }
  s.audit_migration_url = cfg.String("DBAAS_AUDIT_MIGRATION_DATABASE_URL", "");
  s.ldap = ReadLdapSettings(cfg);
  s.oidc = ReadOidcSettings(cfg);
  return s;
}

store::PoolConfig AuditPoolConfig(const std::string& dsn, std::size_t size) {
  store::PoolConfig config;
  config.dsn = dsn;
  config.size = size;
  config.application_name = "access-control-audit";
  return config;
}

// Applies the audit schema as the audit database's owner, then lets that connection go.
void MigrateAuditDatabase(const std::string& owner_url) {
  store::Pool owner(AuditPoolConfig(owner_url, 1));
  store::Migrate(owner, events::kMigrationComponent, events::Migrations());
  store::Migrate(owner, "audit", audit::Migrations());
}

// Appends what the gateway and access-control itself record to the audit chain, a fetched
// batch per transaction.
events::ConsumerConfig AuditConsumerConfig() {
  events::ConsumerConfig config;
  config.durable = "access-control-audit";
  config.filter_subject = std::string(events::kAuditSubjects);
  config.batch = 256;
  config.max_deliver = 20;
  return config;
}

// Everything the service builds, kept alive by the host.
struct Components {
  Components(service::Context& ctx, Settings s)
      : settings(std::move(s)),
        audit_pool(AuditPoolConfig(settings.audit_url, 4)),
        audit_repository(audit_pool),
        audit_log(audit_repository),
        tenant_repository(ctx.pool),
        identity_repository(ctx.pool),
        token_repository(ctx.pool),
        idempotency_keys(ctx.pool),
        keys(token_repository, ctx.master_keys, ctx.clock,
             settings.tokens.access_ttl + settings.tokens.leeway),
        roles(identity_repository, tenant_repository, idempotency_keys, ctx.clock),
        tenants(tenant_repository, idempotency_keys, ctx.clock),
        users(identity_repository, token_repository, tenant_repository, roles, idempotency_keys,
              ctx.clock),
        api_keys(identity_repository, tenant_repository, roles, idempotency_keys, ctx.clock),
        tokens(identity_repository, token_repository, tenant_repository, roles, keys, ctx.clock,
               settings.tokens,
               [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }),
        tenant_handlers(tenants, tokens),
        user_handlers(users, tokens),
        role_handlers(roles, tokens),
        api_key_handlers(api_keys, tokens),
        auth_handlers(tokens, keys),
        audit_handlers(audit_log, tokens),
        audit_consumer(audit_pool, ctx.nats, AuditConsumerConfig(),
                       events::BatchEventHandler(
                           [this, clock = &ctx.clock](std::span<const events::Event> batch,
                                                      store::Tx& tx) {
                             std::vector<events::AuditRecord> records;
                             records.reserve(batch.size());
                             for (const auto& e : batch) {
                               for (auto& r : events::AuditRecordsFromEvent(e)) {
                                 records.push_back(std::move(r));
                               }
                             }
                             audit_repository.Append(tx, records, clock->Now());
                           })) {
    // Logins, refreshes and lockouts go through the outbox, so a record is never lost between
    // the answer and the audit log.
    tokens.SetAuditSink([pool = &ctx.pool](events::AuditRecord record) {
      try {
        auto event = events::MakeAuditEvent(std::move(record));
        pool->InTransaction([&](store::Tx& tx) { events::Enqueue(tx, event); });
      } catch (const std::exception& e) {
        log::Error("audit record lost", {{"error", e.what()}});
      }
    });
    if (settings.ldap) {
      directory = std::make_unique<OpenLdapDirectory>(*settings.ldap);
      ldap_login = std::make_unique<LdapLogin>(*directory, identity_repository, roles, ctx.clock,
                                               *settings.ldap);
      tokens.UseLdap(ldap_login.get());
    }
    if (settings.oidc) {
      oidc = std::make_unique<OidcProvider>(*settings.oidc, ctx.clock);
      tokens.UseOidc(oidc.get());
    }
  }

  // Runs after the master key is loaded and migrations are applied.
  void Bootstrap() {
    keys.EnsureActive();
    // Opens every published key now, so a wrong master key stops the start instead of logins.
    keys.Published();
    if (identity_repository.AnyPlatformAdmin()) return;
    users.EnsureBootstrapAdmin(
        BootstrapAdminPassword(settings.admin_password, settings.admin_password_file));
  }

  Settings settings;
  store::Pool audit_pool;
  PgAuditRepository audit_repository;
  AuditLog audit_log;
  PgTenantRepository tenant_repository;
  PgIdentityRepository identity_repository;
  PgTokenRepository token_repository;
  PgIdempotencyKeys idempotency_keys;
  SigningKeys keys;
  RoleService roles;
  TenantService tenants;
  UserService users;
  ApiKeyService api_keys;
  TokenService tokens;
  TenantHandlers tenant_handlers;
  UserHandlers user_handlers;
  RoleHandlers role_handlers;
  ApiKeyHandlers api_key_handlers;
  AuthHandlers auth_handlers;
  AuditHandlers audit_handlers;
  events::Consumer audit_consumer;
  std::unique_ptr<Directory> directory;
  std::unique_ptr<LdapLogin> ldap_login;
  std::unique_ptr<OidcProvider> oidc;
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
    if (!settings.audit_migration_url.empty()) MigrateAuditDatabase(settings.audit_migration_url);
    auto components = std::make_shared<Components>(ctx, std::move(settings));
    components->tenant_handlers.Register(ctx.router);
    components->user_handlers.Register(ctx.router);
    components->role_handlers.Register(ctx.router);
    components->api_key_handlers.Register(ctx.router);
    components->auth_handlers.Register(ctx.router);
    components->audit_handlers.Register(ctx.router);
    auto* c = components.get();
    const Clock* clock = &ctx.clock;
    ctx.workers.push_back(service::Worker{"bootstrap", [c] { c->Bootstrap(); }, {}});
    ctx.workers.push_back(service::Worker{"audit-consumer", [c] { c->audit_consumer.Start(); },
                                          [c] { c->audit_consumer.Stop(); }});
    ctx.readiness_checks.emplace_back("audit-database", [c] { return c->audit_pool.Ping(); });
    // Expired idempotency keys, refresh tokens and revoked token ids: at start, then hourly,
    // so the tables stay bounded however long the service runs.
    ctx.workers.push_back(service::PeriodicWorker("purge", std::chrono::hours(1), [c, clock] {
      const auto purged =
          c->idempotency_keys.Purge() + c->token_repository.PurgeExpired(clock->Now());
      if (purged > 0) log::Info("purged expired rows", {{"count", purged}});
    }));
    ctx.keep_alive.push_back(components);
  };
  return def;
}

}  // namespace dbaas::access_control

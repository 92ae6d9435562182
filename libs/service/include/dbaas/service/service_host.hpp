#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/common/config.hpp"
#include "dbaas/store/migration.hpp"

namespace dbaas {
class Clock;
namespace crypto {
class KeyRing;
}
namespace http {
class Router;
}
namespace metrics {
class Registry;
}
namespace store {
class Pool;
}
namespace events {
class JetStream;
}
}  // namespace dbaas

/// The boot sequence every dbaas service shares: configuration from DBAAS_* variables,
/// logging, the master key, the database pool and migrations, NATS JetStream with the outbox
/// relay, and the HTTP server with /livez, /readyz and /metrics. A service supplies its name,
/// port, migrations and a Configure callback that builds its components and routes.
namespace dbaas::service {

/// A background activity owned by the service (consumer, scheduler ...), started after the
/// HTTP server listens and stopped before the database pool closes.
struct Worker {
  std::string name;
  std::function<void()> start;
  std::function<void()> stop;
};

/// What Configure gets to build the service with. References stay valid until the host stops.
struct Context {
  std::string_view service;
  /// Read service-specific settings here; problems are reported with the common ones.
  ConfigReader& config;
  store::Pool& pool;
  events::JetStream& nats;
  metrics::Registry& metrics;
  const crypto::KeyRing& master_keys;
  const Clock& clock;
  http::Router& router;
  /// Extra readiness checks (the database and NATS are already checked).
  std::vector<std::pair<std::string, std::function<bool()>>> readiness_checks;
  std::vector<Worker> workers;
  /// Objects the service wants kept alive as long as the host (handlers, repositories ...).
  std::vector<std::shared_ptr<void>> keep_alive;
};

struct Definition {
  /// e.g. "access-control"; used in logs, metrics, the NATS client name and migrations.
  std::string name;
  std::uint16_t default_port = 0;
  std::span<const store::Migration> migrations;
  std::function<void(Context&)> configure;
};

/// Runs one service. Construction reads and validates all configuration (throwing
/// Error{INVALID_ARGUMENT} naming every bad variable); Start() connects, migrates and listens;
/// Run() blocks until SIGTERM/SIGINT or Stop(), then shuts down in reverse order.
class Host {
 public:
  /// `lookup` reads settings (the process environment by default; a map in tests).
  explicit Host(Definition definition, ConfigReader::Lookup lookup = {});
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  /// Loads the master key, opens the pool, applies migrations (retrying while the database is
  /// still starting, up to DBAAS_DATABASE_WAIT), connects NATS, builds the service and binds the
  /// HTTP port. Throws Error on failure, leaving nothing running.
  void Start();
  /// Serves until Stop() or a termination signal; then drains and stops everything.
  void Run();
  /// Starts serving on a background thread (for tests); Stop() or destruction ends it.
  void RunInBackground();
  /// Thread-safe; makes Run() return after a graceful drain.
  void Stop();
  /// The bound HTTP port (after Start()).
  std::uint16_t Port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// main() for a service: runs Host with the process environment and maps failures to exit
/// codes (0 clean stop, 2 invalid configuration, 1 failure to start) with a JSON log line.
int Main(Definition definition);

}  // namespace dbaas::service

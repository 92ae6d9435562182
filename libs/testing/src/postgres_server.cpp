#include <algorithm>
#include <cctype>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "child_process.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::testing {
namespace {

constexpr const char* kPgBinDir = "/usr/lib/postgresql/15/bin";
constexpr const char* kPackage = "postgresql";
constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kCommandTimeout = std::chrono::seconds(60);

/// libpq variables from the caller's environment would redirect psql away from this server.
const std::vector<std::string> kClientEnv = {"PGHOST",     "PGHOSTADDR", "PGPORT",
                                             "PGUSER",     "PGDATABASE", "PGSERVICE",
                                             "PGOPTIONS",  "PGPASSWORD", "PGSSLMODE",
                                             "PGCONNECT_TIMEOUT=10"};

bool IsIdentifier(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  if (!(std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

/// postmaster.pid's eighth line is the postmaster status; "ready" once it accepts connections.
bool PostmasterReady(const std::filesystem::path& pid_file) {
  std::ifstream in(pid_file);
  std::string line;
  for (int i = 0; i < 8 && std::getline(in, line); ++i) {
    if (i == 7) return line.rfind("ready", 0) == 0;
  }
  return false;
}

}  // namespace

struct PostgresServer::Impl {
  std::optional<detail::RunAs> user;
  std::string initdb;
  std::string postgres;
  std::string psql;
  std::filesystem::path dir;
  std::filesystem::path data;
  std::filesystem::path log;
  std::uint16_t port = 0;
  detail::Child child;

  ~Impl() {
    // Immediate shutdown: the data is thrown away, so there is nothing to checkpoint.
    child.Stop(SIGQUIT, std::chrono::seconds(10));
    detail::RemoveTree(dir);
  }

  void Launch() {
    detail::SpawnOptions options;
    options.argv = {postgres,
                    "-D", data.string(),
                    "-p", std::to_string(port),
                    "-k", dir.string(),
                    "-c", "listen_addresses=127.0.0.1",
                    "-c", "fsync=off",
                    "-c", "synchronous_commit=off",
                    "-c", "full_page_writes=off",
                    "-c", "max_connections=200",
                    "-c", "logging_collector=off"};
    options.log_file = log;
    options.user = user;
    // SIGQUIT = immediate shutdown, so a crashed test binary does not leave the server behind.
    options.death_signal = SIGQUIT;
    options.cwd = dir;
    child.Start(options);
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!child.Running()) {
        throw std::runtime_error("testing: PostgreSQL exited during start-up; log " +
                                 log.string() + ":\n" + detail::Tail(log));
      }
      if (PostmasterReady(data / "postmaster.pid") && detail::TcpAccepts(port)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    child.Stop(SIGQUIT, std::chrono::seconds(5));
    throw std::runtime_error("testing: PostgreSQL did not accept connections within 60 s; log:\n" +
                             detail::Tail(log));
  }

  detail::CommandResult Psql(const std::string& sql, const std::string& db) const {
    detail::SpawnOptions options;
    options.argv = {psql, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                    "-h", "127.0.0.1", "-p", std::to_string(port), "-U", "postgres",
                    "-d", db, "-c", sql};
    options.env_overrides = kClientEnv;
    auto result = detail::Run(options, kCommandTimeout);
    if (result.exit_code != 0) {
      throw std::runtime_error("testing: psql failed (exit " + std::to_string(result.exit_code) +
                               ") for `" + sql + "`: " + result.err);
    }
    return result;
  }
};

PostgresServer::PostgresServer() : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.initdb = detail::FindBinary("initdb", {kPgBinDir}, kPackage);
  s.postgres = detail::FindBinary("postgres", {kPgBinDir}, kPackage);
  s.psql = detail::FindBinary("psql", {kPgBinDir}, kPackage);
  s.user = detail::ServerUser();
  s.dir = detail::MakeTempDir("pg", s.user);
  s.data = s.dir / "data";
  s.log = s.dir / "postgres.log";

  detail::SpawnOptions init;
  init.argv = {s.initdb, "-D", s.data.string(), "-A", "trust", "-U", "postgres", "--no-sync",
               "-E", "UTF8", "--locale=C", "--no-instructions"};
  init.user = s.user;
  init.cwd = s.dir;
  const auto result = detail::Run(init, kCommandTimeout);
  if (result.exit_code != 0) {
    throw std::runtime_error("testing: initdb failed (exit " + std::to_string(result.exit_code) +
                             "): " + result.err + result.out);
  }
  detail::LaunchOnFreePort(s.port, s.log, [&s] { s.Launch(); });
}

PostgresServer::~PostgresServer() = default;

std::uint16_t PostgresServer::Port() const noexcept { return impl_->port; }

std::string PostgresServer::Uri(const std::string& db) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(impl_->port) + "/" + db;
}

std::string PostgresServer::CreateDatabase(const std::string& name) {
  if (!IsIdentifier(name)) {
    throw std::invalid_argument("testing: database name must match [a-z_][a-z0-9_]*: " + name);
  }
  impl_->Psql("CREATE ROLE \"" + name + "\" LOGIN", "postgres");
  impl_->Psql("CREATE DATABASE \"" + name + "\" OWNER \"" + name + "\"", "postgres");
  return "postgresql://" + name + "@127.0.0.1:" + std::to_string(impl_->port) + "/" + name;
}

std::string PostgresServer::Query(const std::string& sql, const std::string& db) const {
  return impl_->Psql(sql, db).out;
}

void PostgresServer::Restart() {
  Stop();
  Start();
}

void PostgresServer::Stop() {
  // Fast shutdown (SIGINT) checkpoints, so the next start needs no crash recovery.
  impl_->child.Stop(SIGINT, std::chrono::seconds(30));
}

void PostgresServer::Start() {
  if (impl_->child.Running()) return;
  impl_->Launch();
}

bool PostgresServer::Running() { return impl_->child.Running(); }

const std::filesystem::path& PostgresServer::DataDir() const noexcept { return impl_->data; }

}  // namespace dbaas::testing

#include <stdexcept>
#include <thread>

#include "child_process.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::testing {
namespace {

constexpr const char* kPackage = "mariadb-server";
constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kCommandTimeout = std::chrono::seconds(60);
const std::vector<std::string> kServerDirs = {"/usr/sbin", "/usr/bin"};

}  // namespace

struct MariaDbServer::Impl {
  std::optional<detail::RunAs> user;
  std::string install_db;
  std::string mariadbd;
  std::string client;
  std::filesystem::path dir;
  std::filesystem::path data;
  std::filesystem::path log;
  std::filesystem::path socket;
  std::uint16_t port = 0;
  detail::Child child;

  ~Impl() {
    child.Stop(SIGKILL, std::chrono::milliseconds(0));
    detail::RemoveTree(dir);
  }

  void Launch() {
    detail::SpawnOptions options;
    // No --user: the process already runs as the account that owns the data directory
    // (dbaas-test under root), and mariadbd only honours --user when started as root.
    options.argv = {mariadbd,
                    "--no-defaults",
                    "--datadir=" + data.string(),
                    "--port=" + std::to_string(port),
                    "--bind-address=127.0.0.1",
                    "--socket=" + socket.string(),
                    "--log-error=" + log.string(),
                    "--pid-file=" + (dir / "mariadbd.pid").string(),
                    "--tmpdir=" + dir.string(),
                    "--innodb-buffer-pool-size=32M",
                    "--innodb-flush-log-at-trx-commit=2"};
    options.log_file = dir / "mariadbd.out";
    options.user = user;
    options.death_signal = SIGKILL;
    options.cwd = dir;
    child.Start(options);
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!child.Running()) {
        throw std::runtime_error("testing: mariadbd exited during start-up; log " +
                                 log.string() + ":\n" + detail::Tail(log));
      }
      // Ready once both listeners accept and the pid file is written (mariadbd may write it
      // after it starts accepting; callers read it).
      std::error_code ec;
      if (detail::UnixAccepts(socket) && detail::TcpAccepts(port) &&
          std::filesystem::file_size(dir / "mariadbd.pid", ec) > 0 && !ec) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    child.Stop(SIGKILL, std::chrono::milliseconds(0));
    throw std::runtime_error("testing: mariadbd did not accept connections within 60 s; log:\n" +
                             detail::Tail(log));
  }
};

MariaDbServer::MariaDbServer() : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.install_db = detail::FindBinary("mariadb-install-db", kServerDirs, kPackage);
  s.mariadbd = detail::FindBinary("mariadbd", kServerDirs, kPackage);
  s.client = detail::FindBinary("mariadb", kServerDirs, "mariadb-client");
  s.user = detail::ServerUser();
  s.dir = detail::MakeTempDir("mariadb", s.user);
  s.data = s.dir / "data";
  s.log = s.dir / "error.log";
  s.socket = s.dir / "mysqld.sock";

  detail::SpawnOptions install;
  // Temporary tables in the server's own directory, not the shared /tmp where concurrent
  // install-db runs lose each other's tables now and then.
  install.argv = {s.install_db, "--no-defaults", "--datadir=" + s.data.string(),
                  "--auth-root-authentication-method=normal", "--skip-test-db",
                  "--tmpdir=" + s.dir.string()};
  install.user = s.user;
  install.cwd = s.dir;
  const auto result = detail::Run(install, kCommandTimeout);
  if (result.exit_code != 0) {
    throw std::runtime_error("testing: mariadb-install-db failed (exit " +
                             std::to_string(result.exit_code) + "): " + result.err + result.out);
  }
  detail::LaunchOnFreePort(s.port, s.log, [&s] { s.Launch(); });
}

MariaDbServer::~MariaDbServer() = default;

void MariaDbServer::Restart() {
  Stop();
  Start();
}

void MariaDbServer::Stop() { impl_->child.Stop(SIGTERM, std::chrono::seconds(30)); }

void MariaDbServer::Start() {
  if (impl_->child.Running()) return;
  impl_->Launch();
}

std::uint16_t MariaDbServer::Port() const noexcept { return impl_->port; }

std::string MariaDbServer::SocketPath() const { return impl_->socket.string(); }

std::string MariaDbServer::Query(const std::string& sql) const {
  detail::SpawnOptions options;
  options.argv = {impl_->client,         "--no-defaults", "--protocol=TCP",
                  "--host=127.0.0.1",    "--port=" + std::to_string(impl_->port),
                  "--user=root",         "--batch",       "--skip-column-names",
                  "--execute=" + sql};
  const auto result = detail::Run(options, kCommandTimeout);
  if (result.exit_code != 0) {
    throw std::runtime_error("testing: mariadb client failed (exit " +
                             std::to_string(result.exit_code) + ") for `" + sql +
                             "`: " + result.err);
  }
  return result.out;
}

}  // namespace dbaas::testing

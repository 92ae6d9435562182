#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string_view>
#include <thread>

#include "child_process.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::testing {
namespace {

constexpr const char* kPackage = "nats-server";
constexpr auto kStartTimeout = std::chrono::seconds(30);

/// True when a client connection to the port receives the server's INFO greeting, which
/// nats-server sends only after JetStream is enabled.
bool GreetsWithInfo(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    char buf[5] = {};
    std::size_t got = 0;
    while (got < sizeof buf) {
      const ssize_t n = ::recv(fd, buf + got, sizeof buf - got, 0);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    ok = got == sizeof buf && std::string_view(buf, sizeof buf) == "INFO ";
  }
  ::close(fd);
  return ok;
}

}  // namespace

struct NatsServer::Impl {
  std::string binary;
  std::filesystem::path dir;
  std::filesystem::path log;
  std::uint16_t port = 0;
  detail::Child child;

  ~Impl() {
    child.Stop(SIGKILL, std::chrono::milliseconds(0));
    detail::RemoveTree(dir);
  }

  void Launch() {
    detail::SpawnOptions options;
    options.argv = {binary, "-js", "-sd", (dir / "jetstream").string(), "-a", "127.0.0.1",
                    "-p", std::to_string(port)};
    options.log_file = log;
    options.death_signal = SIGKILL;
    options.cwd = dir;
    child.Start(options);
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!child.Running()) {
        throw std::runtime_error("testing: nats-server exited during start-up; log " +
                                 log.string() + ":\n" + detail::Tail(log));
      }
      if (GreetsWithInfo(port)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    child.Stop(SIGKILL, std::chrono::milliseconds(0));
    throw std::runtime_error("testing: nats-server did not accept clients within 30 s; log:\n" +
                             detail::Tail(log));
  }
};

NatsServer::NatsServer() : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.binary = detail::FindBinary("nats-server", {"/usr/sbin", "/usr/bin"}, kPackage);
  // nats-server does not mind root, so it runs as the current user.
  s.dir = detail::MakeTempDir("nats", std::nullopt);
  s.log = s.dir / "nats.log";
  detail::LaunchOnFreePort(s.port, s.log, [&s] { s.Launch(); });
}

NatsServer::~NatsServer() = default;

std::uint16_t NatsServer::Port() const noexcept { return impl_->port; }

std::string NatsServer::Url() const { return "nats://127.0.0.1:" + std::to_string(impl_->port); }

void NatsServer::Stop() {
  // SIGTERM lets JetStream flush its file store before exit.
  impl_->child.Stop(SIGTERM, std::chrono::seconds(15));
}

void NatsServer::Start() {
  if (impl_->child.Running()) return;
  impl_->Launch();
}

const std::filesystem::path& NatsServer::Dir() const noexcept { return impl_->dir; }

}  // namespace dbaas::testing

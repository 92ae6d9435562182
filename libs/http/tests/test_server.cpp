#include "test_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dbaas/http/headers.hpp"

namespace dbaas::http::testing {

TestServer::TestServer(Router router, ServerConfig config) {
  config.port = 0;
  config.access_log = false;
  server_ = std::make_unique<Server>(std::move(config), std::move(router), registry_);
  server_->Listen();
  Start();
}

void TestServer::Start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { server_->Run(); });
}

void TestServer::StopAndWait() {
  server_->Stop();
  if (thread_.joinable()) thread_.join();
}

TestServer::~TestServer() { StopAndWait(); }

RawConnection::RawConnection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::Send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

namespace {

bool ReadMore(int fd, std::string& into, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buf[16384];
  const auto n = ::recv(fd, buf, sizeof buf, 0);
  if (n <= 0) return false;
  into.append(buf, static_cast<std::size_t>(n));
  return true;
}

}  // namespace

std::optional<std::string> RawConnection::ReadResponse(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto end = pending_.find("\r\n\r\n");
    if (end != std::string::npos) {
      const auto head = pending_.substr(0, end + 4);
      std::size_t length = 0;
      if (auto cl = HeaderOf(head, "Content-Length")) length = std::stoul(*cl);
      if (pending_.size() >= end + 4 + length) {
        auto response = pending_.substr(0, end + 4 + length);
        pending_.erase(0, end + 4 + length);
        return response;
      }
    }
    if (!ReadMore(fd_, pending_, deadline)) return std::nullopt;
  }
}

bool RawConnection::WaitClosed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    if (::recv(fd_, buf, sizeof buf, 0) <= 0) return true;
  }
}

int StatusOf(const std::string& raw) {
  if (raw.size() < 12 || !raw.starts_with("HTTP/1.")) return 0;
  return std::stoi(raw.substr(9, 3));
}

std::string BodyOf(const std::string& raw) {
  const auto end = raw.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : raw.substr(end + 4);
}

std::optional<std::string> HeaderOf(const std::string& raw, std::string_view name) {
  std::size_t pos = raw.find("\r\n");
  while (pos != std::string::npos) {
    const auto next = raw.find("\r\n", pos + 2);
    if (next == std::string::npos || next == pos + 2) break;
    const auto line = std::string_view(raw).substr(pos + 2, next - pos - 2);
    const auto colon = line.find(':');
    if (colon != std::string_view::npos && EqualsIgnoreCase(line.substr(0, colon), name)) {
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return std::string(value);
    }
    pos = next;
  }
  return std::nullopt;
}

}  // namespace dbaas::http::testing

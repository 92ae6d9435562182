#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "dbaas/testing/servers.hpp"

namespace dbaas::testing {
namespace {

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int Get() const noexcept { return fd_; }

 private:
  int fd_;
};

/// The status code of one GET, or -1 when there was no parsable answer.
int GetStatus(const std::string& host, std::uint16_t port, const std::string& path,
              std::chrono::milliseconds io_timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addrs = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &addrs) != 0) return -1;
  int status = -1;
  for (addrinfo* a = addrs; a != nullptr && status < 0; a = a->ai_next) {
    Socket sock(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (sock.Get() < 0) continue;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(io_timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((io_timeout.count() % 1000) * 1000);
    ::setsockopt(sock.Get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(sock.Get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(sock.Get(), a->ai_addr, a->ai_addrlen) != 0) continue;
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" +
                                std::to_string(port) +
                                "\r\nUser-Agent: dbaas-testing\r\nConnection: close\r\n\r\n";
    if (::send(sock.Get(), request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      continue;
    }
    std::string head;
    char buf[512];
    while (head.find("\r\n") == std::string::npos && head.size() < 4096) {
      const ssize_t n = ::recv(sock.Get(), buf, sizeof buf, 0);
      if (n <= 0) break;
      head.append(buf, static_cast<std::size_t>(n));
    }
    // "HTTP/1.1 200 OK"
    if (head.rfind("HTTP/", 0) == 0) {
      const auto space = head.find(' ');
      if (space != std::string::npos && head.size() >= space + 4) {
        try {
          status = std::stoi(head.substr(space + 1, 3));
        } catch (const std::exception&) {
          status = -1;
        }
      }
    }
  }
  ::freeaddrinfo(addrs);
  return status;
}

}  // namespace

std::uint16_t FreePort() {
  // Remember what this process handed out so two fixtures in one test never get the same port
  // even if neither has bound it yet.
  static std::mutex mutex;
  static std::set<std::uint16_t> given;
  std::lock_guard lock(mutex);
  for (int attempt = 0; attempt < 64; ++attempt) {
    Socket sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (sock.Get() < 0) throw std::runtime_error("testing: socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(sock.Get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error(std::string("testing: bind failed: ") + std::strerror(errno));
    }
    socklen_t len = sizeof addr;
    ::getsockname(sock.Get(), reinterpret_cast<sockaddr*>(&addr), &len);
    const auto port = ntohs(addr.sin_port);
    if (given.insert(port).second) return port;
  }
  throw std::runtime_error("testing: no free port found");
}

bool WaitForHttp(const std::string& host, std::uint16_t port, const std::string& path,
                 int expected_status, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const auto io = std::clamp(left, std::chrono::milliseconds(100), std::chrono::milliseconds(2000));
    if (GetStatus(host, port, path, io) == expected_status) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace dbaas::testing

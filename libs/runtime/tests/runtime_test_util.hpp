#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dbaas/runtime/local_runtime.hpp"
#include "dbaas/testing/programs.hpp"

namespace dbaas::runtime::test {

/// A state directory under /tmp (traversable by the database OS user) with a port range of its
/// own; removes every instance and the directory on destruction, also when a test fails.
class StateDir {
 public:
  /// Instances get 20 ports at `base` + (pid % slots) * 20. The lifecycle and property tests
  /// use 27000-28999 and the backup tests 29000-29999: below Linux's ephemeral range
  /// (32768-60999), where the other fixtures' servers and every outgoing connection get their
  /// ports, so a restarted instance finds its port still free.
  explicit StateDir(int base = 27000, int slots = 100) {
    std::string pattern = "/tmp/dbaas-rt-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
    ::chmod(path_.c_str(), 0755);
    port_min_ = static_cast<std::uint16_t>(base + (::getpid() % slots) * 20);
  }
  ~StateDir() {
    try {
      LocalRuntime rt(Config());
      for (const auto& id : rt.List()) rt.Delete(id);
    } catch (const std::exception&) {
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  StateDir(const StateDir&) = delete;
  StateDir& operator=(const StateDir&) = delete;

  const std::filesystem::path& Path() const { return path_; }
  LocalRuntimeConfig Config() const {
    LocalRuntimeConfig c;
    c.state_dir = path_;
    c.port_min = port_min_;
    c.port_max = static_cast<std::uint16_t>(port_min_ + 19);
    c.fast_init = true;
    return c;
  }

 private:
  std::filesystem::path path_;
  std::uint16_t port_min_ = 0;
};

/// An InstanceSpec (designated initialisers would trip -Wmissing-field-initializers).
inline InstanceSpec Spec(std::string id, engines::Engine engine = engines::Engine::kPostgresql,
                         engines::ParameterValues parameters = {}) {
  InstanceSpec spec;
  spec.id = std::move(id);
  spec.engine = engine;
  spec.parameters = std::move(parameters);
  return spec;
}

inline ResizeSpec Resize(std::string size, engines::ParameterValues parameters,
                         bool allow_restart = true, std::string admin_password = "") {
  ResizeSpec spec;
  spec.size = std::move(size);
  spec.parameters = std::move(parameters);
  spec.allow_restart = allow_restart;
  spec.admin_password = std::move(admin_password);
  return spec;
}

/// True when something listens on 127.0.0.1:port.
inline bool Listening(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

/// Live processes (zombies left out) whose cwd or command line mentions `dir`, read from /proc
/// independently of the runtime's own bookkeeping.
inline std::vector<int> ProcessesMentioning(const std::filesystem::path& dir) {
  std::vector<int> pids;
  DIR* proc = ::opendir("/proc");
  while (const dirent* e = ::readdir(proc)) {
    const int pid = std::atoi(e->d_name);
    if (pid <= 0 || pid == ::getpid()) continue;
    const std::string base = std::string("/proc/") + e->d_name;
    std::ifstream stat(base + "/stat");
    std::string text;
    std::getline(stat, text);
    const auto close = text.rfind(')');
    if (close == std::string::npos || close + 2 >= text.size() || text[close + 2] == 'Z') continue;
    std::error_code ec;
    const auto cwd = std::filesystem::read_symlink(base + "/cwd", ec).string();
    std::ifstream cmd(base + "/cmdline", std::ios::binary);
    const std::string cmdline((std::istreambuf_iterator<char>(cmd)),
                              std::istreambuf_iterator<char>());
    if (cwd.rfind(dir.string(), 0) == 0 || cmdline.find(dir.string()) != std::string::npos) {
      pids.push_back(pid);
    }
  }
  ::closedir(proc);
  return pids;
}

/// Why an instance is not completely gone ("" when nothing remains): its directory, any
/// process, its port.
inline std::string Leftovers(const std::filesystem::path& instance_dir, std::uint16_t port) {
  std::string out;
  if (std::filesystem::exists(instance_dir))
    out += "directory " + instance_dir.string() + " exists; ";
  for (int pid : ProcessesMentioning(instance_dir))
    out += "process " + std::to_string(pid) + " runs; ";
  if (port != 0 && Listening(port)) out += "port " + std::to_string(port) + " still listens; ";
  return out;
}

/// A scratch directory for client runs (RunProgram keeps their output there), one per process.
inline std::filesystem::path ClientDir() {
  struct Scratch {
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("dbaas-rt-client-" + std::to_string(::getpid()));
    Scratch() { std::filesystem::create_directories(dir); }
    ~Scratch() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  };
  static const Scratch scratch;
  return scratch.dir;
}

inline std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

/// psql as `user` with `password`, sslmode verify-full against `ca_file`.
inline dbaas::testing::ProgramResult Psql(const Endpoint& ep, const std::string& password,
                                          const std::filesystem::path& ca_file,
                                          const std::string& sql,
                                          const std::string& sslmode = "verify-full",
                                          const std::string& host = "127.0.0.1") {
  const std::string conninfo = "host=" + host + " port=" + std::to_string(ep.port) +
                               " user=" + ep.admin_user + " password=" + password +
                               " dbname=postgres connect_timeout=10 sslmode=" + sslmode +
                               " sslrootcert=" + ca_file.string();
  return dbaas::testing::RunProgram(
      {"/usr/lib/postgresql/15/bin/psql", "-X", "-A", "-t", "-d", conninfo, "-c", sql},
      ClientDir());
}

/// The mariadb client over TLS with server certificate verification (unless `tls` is false).
inline dbaas::testing::ProgramResult MariaDb(const Endpoint& ep, const std::string& password,
                                             const std::filesystem::path& ca_file,
                                             const std::string& sql, bool tls = true) {
  std::vector<std::string> args = {"mariadb",
                                   "--no-defaults",
                                   "--protocol=TCP",
                                   "--host=127.0.0.1",
                                   "--port=" + std::to_string(ep.port),
                                   "--user=" + ep.admin_user,
                                   "--password=" + password,
                                   "--batch",
                                   "--skip-column-names",
                                   "--connect-timeout=10"};
  if (tls) {
    args.insert(args.end(), {"--ssl", "--ssl-ca=" + ca_file.string(), "--ssl-verify-server-cert"});
  } else {
    args.push_back("--skip-ssl");
  }
  args.push_back("--execute=" + sql);
  return dbaas::testing::RunProgram(args, ClientDir());
}

}  // namespace dbaas::runtime::test

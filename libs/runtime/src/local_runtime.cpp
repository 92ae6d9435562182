#include "dbaas/runtime/local_runtime.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "dbaas/common/error.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/engines/config.hpp"
#include "dbaas/engines/password.hpp"
#include "dbaas/runtime/tls.hpp"
#include "process.hpp"
#include "tool_process_internal.hpp"

namespace dbaas::runtime {
namespace {

namespace fs = std::filesystem;
using engines::Engine;
using Clock = std::chrono::steady_clock;

constexpr auto kCommandTimeout = std::chrono::seconds(120);
/// How long Launch waits for a just-killed server of the instance to let go of its port.
constexpr auto kPortReleaseWait = std::chrono::seconds(5);
constexpr std::size_t kMaxSocketPath = 107;

/// Everything about an instance that must survive a restart of the control plane.
struct Meta {
  std::string id;
  Engine engine = Engine::kPostgresql;
  std::string version;
  std::string size;
  engines::ParameterValues parameters;
  std::uint16_t port = 0;
  std::string admin_user;
  std::string server_version;
  std::string archive_command;
};

nlohmann::json ToJson(const Meta& m) {
  return {{"id", m.id},
          {"engine", std::string(engines::EngineName(m.engine))},
          {"version", m.version},
          {"size", m.size},
          {"parameters", m.parameters},
          {"port", m.port},
          {"admin_user", m.admin_user},
          {"server_version", m.server_version},
          {"archive_command", m.archive_command}};
}

Meta FromJson(const nlohmann::json& j) {
  Meta m;
  m.id = j.at("id").get<std::string>();
  const auto engine = engines::ParseEngine(j.at("engine").get<std::string>());
  if (!engine) throw Error(ErrorCode::kInternal, "instance " + m.id + ": unknown engine on disk");
  m.engine = *engine;
  m.version = j.value("version", "");
  m.size = j.at("size").get<std::string>();
  m.parameters = j.at("parameters").get<engines::ParameterValues>();
  m.port = j.at("port").get<std::uint16_t>();
  m.admin_user = j.at("admin_user").get<std::string>();
  m.server_version = j.value("server_version", "");
  m.archive_command = j.value("archive_command", "");
  return m;
}

void ValidateId(std::string_view id) {
  const bool ok = !id.empty() && id.size() <= 48 &&
                  std::isalnum(static_cast<unsigned char>(id[0])) &&
                  std::all_of(id.begin(), id.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
                  });
  if (!ok) {
    throw Error(ErrorCode::kInvalidArgument, "invalid instance id",
                {{"id", "must be 1-48 characters of [a-z0-9_-], starting with a letter or digit"}});
  }
}

const engines::InstanceSize& SizeOrThrow(const std::string& name) {
  const auto* size = engines::FindSize(name);
  if (size == nullptr) {
    throw Error(ErrorCode::kInvalidArgument, "unknown instance size",
                {{"size", "'" + name + "' is not an instance size"}});
  }
  return *size;
}

/// postmaster.pid's eighth line is the postmaster status; "ready" once it accepts connections.
bool PostmasterReady(const fs::path& pid_file) {
  std::ifstream in(pid_file);
  std::string line;
  for (int i = 0; i < 8 && std::getline(in, line); ++i) {
    if (i == 7) return line.rfind("ready", 0) == 0;
  }
  return false;
}

/// Connects to 127.0.0.1:port within `timeout`; the socket, or -1.
int ConnectLoopback(std::uint16_t port, std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) {
      ::close(fd);
      return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1 ||
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      ::close(fd);
      return -1;
    }
  }
  return fd;
}

/// MariaDB's health check: the server sends its handshake (protocol 10) on connect once it
/// accepts clients; no credentials needed.
bool MariaDbGreets(std::uint16_t port) {
  const int fd = ConnectLoopback(port, std::chrono::seconds(2));
  if (fd < 0) return false;
  unsigned char buf[5] = {};
  std::size_t got = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  while (got < sizeof buf && Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) != 1) continue;
    const ssize_t n = ::read(fd, buf + got, sizeof buf - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return got == sizeof buf && buf[4] == 10;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

/// A SQL literal or number for SET GLOBAL.
std::string MariaDbValue(const std::string& value) {
  const bool numeric = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
  if (numeric) return value;
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\')
      out += c == '\'' ? "''" : "\\\\";
    else
      out += c;
  }
  return out + "'";
}

/// A MariaDB server_id per instance (FNV-1a of the id, 1..2^31-1): instances restored from one
/// another never share one.
std::uint32_t ServerId(std::string_view id) {
  std::uint32_t h = 2166136261U;
  for (char c : id) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619U;
  }
  return h % 2147483646U + 1;
}

/// Changes to a restore stream on its way to the client: whole lines left out (only lines
/// shorter than 4 KiB are looked at) and SQL appended after the last byte.
struct StreamEdit {
  std::vector<std::string> drop_prefixes;
  std::string trailer;
};

/// Writes all of `data`; false when the reader is gone (EPIPE).
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Copies `in` to `out` applying `edit`; false when `out`'s reader went away (its error tells
/// why) or `in` failed. SIGPIPE is blocked in this thread meanwhile so a dead reader cannot
/// kill the control plane.
bool Pump(int in, int out, const StreamEdit& edit) {
  sigset_t pipe_set;
  sigset_t old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  bool ok = true;
  std::string pending;
  char buf[65536];
  auto flush_lines = [&](bool last) {
    std::size_t pos = 0;
    while (ok) {
      const auto nl = pending.find('\n', pos);
      if (nl == std::string::npos && !last) break;
      const auto end = nl == std::string::npos ? pending.size() : nl + 1;
      if (end == pos) break;
      const std::string_view line(pending.data() + pos, end - pos);
      const bool drop = line.size() < 4096 &&
                        std::any_of(edit.drop_prefixes.begin(), edit.drop_prefixes.end(),
                                    [&](const std::string& p) { return line.rfind(p, 0) == 0; });
      if (!drop) ok = WriteAll(out, line);
      pos = end;
    }
    pending.erase(0, pos);
  };
  for (;;) {
    const ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n <= 0) break;
    if (edit.drop_prefixes.empty()) {
      ok = WriteAll(out, std::string_view(buf, static_cast<std::size_t>(n)));
    } else {
      pending.append(buf, static_cast<std::size_t>(n));
      flush_lines(false);
    }
    if (!ok) break;
  }
  if (ok) flush_lines(true);
  if (ok && !edit.trailer.empty()) ok = WriteAll(out, "\n" + edit.trailer);
  // Take back a SIGPIPE raised by a failed write before unblocking.
  timespec zero{};
  while (::sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
  }
  ::pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  return ok;
}

/// The last `max` characters of a tool's stderr, trimmed, for an error message.
std::string ToolTail(const std::string& text, std::size_t max = 1500) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t.size() > max ? "..." + t.substr(t.size() - max) : t;
}

/// Reads a mariadb-binlog text stream and records its first and last event times, line by line
/// (a big binlog decodes to far more text than fits in memory).
void ScanBinlogTimes(const engines::ToolCommand& command, engines::BinlogFile& file) {
  ToolProcess tool(command);
  std::string pending;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(tool.Stdout(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<std::size_t>(n));
    const auto nl = pending.rfind('\n');
    if (nl == std::string::npos) continue;
    engines::ParseBinlogEventTimes(std::string_view(pending).substr(0, nl + 1), file);
    pending.erase(0, nl + 1);
  }
  engines::ParseBinlogEventTimes(pending, file);
  if (const int rc = tool.Wait(); rc != 0) {
    throw Error(ErrorCode::kInternal, "reading binlog " + file.name + " failed (mariadb-binlog exit " +
                                          std::to_string(rc) + "): " + ToolTail(tool.Stderr()));
  }
}

/// Called inside a catch block: rethrows the current exception as an Error naming the create
/// step that failed.
[[noreturn]] void RethrowForStep(const std::string& id, const std::string& step,
                                 const std::string& cleanup, bool restore = false) {
  const std::string prefix = std::string(restore ? "restoring" : "creating") + " instance " + id +
                             " failed at step '" + step + "' (" + cleanup + "): ";
  try {
    throw;
  } catch (const Error& e) {
    throw Error(e.Code(), prefix + e.what(), e.Details(), e.Suggestions());
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kInternal, prefix + e.what());
  }
}

}  // namespace

std::string_view InstanceStateName(InstanceState state) noexcept {
  switch (state) {
    case InstanceState::kRunning:
      return "running";
    case InstanceState::kStarting:
      return "starting";
    case InstanceState::kStopped:
      return "stopped";
    case InstanceState::kFailed:
      return "failed";
  }
  return "failed";
}

struct LocalRuntime::Impl {
  LocalRuntimeConfig config;
  detail::OsUser user;
  std::optional<CertificateAuthority> ca;

  fs::path Dir(std::string_view id) const {
    return config.state_dir / "instances" / std::string(id);
  }
  fs::path MetaFile(std::string_view id) const { return Dir(id) / "instance.json"; }
  fs::path IntentFile(std::string_view id) const { return Dir(id) / "intent"; }
  fs::path PidFile(std::string_view id) const { return Dir(id) / "run" / "server.pid"; }

  std::string Bin(const std::string& name, const std::string& package) const {
    return detail::FindBinary(name, {config.postgres_bin_dir.string()}, package);
  }

  std::string MariaDbTool(const std::string& name, const std::string& package) const {
    return detail::FindBinary(name, {config.mariadbd.parent_path().string(), "/usr/bin"}, package);
  }

  std::optional<detail::OsUser> RunAs() const {
    if (user.uid == ::geteuid()) return std::nullopt;
    return user;
  }

  void Hook(std::string_view step) const {
    if (config.create_hook) config.create_hook(step);
  }

  Meta LoadMeta(std::string_view id) const {
    ValidateId(id);
    const auto file = MetaFile(id);
    if (!fs::exists(file)) {
      throw Error(ErrorCode::kNotFound,
                  "instance " + std::string(id) + " not found in the local runtime");
    }
    return FromJson(nlohmann::json::parse(detail::ReadFile(file)));
  }

  void SaveMeta(const Meta& meta) const {
    detail::WriteFile(MetaFile(meta.id), ToJson(meta).dump(2) + "\n", 0600, RunAs());
  }

  void SetIntent(std::string_view id, std::string_view intent) const {
    detail::WriteFile(IntentFile(id), std::string(intent) + "\n", 0600, RunAs());
  }

  std::string Intent(std::string_view id) const {
    std::ifstream in(IntentFile(id));
    std::string text;
    std::getline(in, text);
    return text;
  }

  /// The server's main pid when it is alive and really this instance's server.
  std::optional<pid_t> ServerPid(std::string_view id) const {
    std::ifstream in(PidFile(id));
    long pid = 0;
    if (!(in >> pid) || pid <= 0 || !detail::Alive(static_cast<pid_t>(pid))) return std::nullopt;
    // Guard against pid reuse: the process must name this instance's directory.
    const std::string dir = Dir(id).string() + "/";
    for (const auto& arg : detail::CommandLine(static_cast<pid_t>(pid))) {
      if (arg.find(dir) != std::string::npos) return static_cast<pid_t>(pid);
    }
    return std::nullopt;
  }

  bool Healthy(const Meta& meta) const {
    if (meta.engine == Engine::kMysql) return MariaDbGreets(meta.port);
    detail::Command cmd;
    cmd.argv = {Bin("pg_isready", "postgresql-client"),
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                std::to_string(meta.port),
                "-t",
                "3",
                "-d",
                "postgres",
                "-U",
                meta.admin_user};
    cmd.env = {"PGSSLMODE", "PGHOST", "PGPORT", "PGSERVICE", "PGOPTIONS"};
    return detail::Run(cmd, std::chrono::seconds(10)).exit_code == 0;
  }

  /// The last lines of the instance's logs, for error messages.
  std::string LogTail(std::string_view id, std::size_t bytes = 1500) const {
    std::string out;
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(Dir(id) / "log", ec)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      auto tail = detail::Tail(f, bytes);
      if (tail.size() == bytes) {  // cut: start at the next whole line
        const auto nl = tail.find('\n');
        tail.erase(0, nl == std::string::npos ? 0 : nl + 1);
      }
      tail = Trim(tail);
      if (!tail.empty()) out += "\n[" + f.filename().string() + "] " + tail;
    }
    return out;
  }

  detail::Command ServerCommand(const Meta& meta, const std::optional<fs::path>& init_file) const {
    detail::Command cmd;
    const auto dir = Dir(meta.id);
    cmd.user = RunAs();
    cmd.cwd = dir / "data";
    if (meta.engine == Engine::kPostgresql) {
      cmd.argv = {Bin("postgres", "postgresql"), "-D", (dir / "data").string()};
      cmd.env = {"PGDATA", "PGPORT", "LC_ALL=C.UTF-8"};
    } else {
      cmd.argv = {config.mariadbd.string(), "--defaults-file=" + (dir / "my.cnf").string(),
                  "--tmpdir=" + (dir / "run").string()};
      if (init_file) cmd.argv.push_back("--init-file=" + init_file->string());
    }
    return cmd;
  }

  /// Starts the server and waits until it answers. On failure the process is stopped and the
  /// Error carries the log tail.
  void Launch(const Meta& meta, const std::optional<fs::path>& init_file = std::nullopt,
              std::optional<std::chrono::seconds> timeout = std::nullopt) {
    const auto dir = Dir(meta.id);
    // A server of this instance that was just killed may still hold its socket for a moment
    // while the kernel tears its threads down: wait briefly before calling the port taken.
    const auto port_deadline = std::chrono::steady_clock::now() + kPortReleaseWait;
    while (!detail::PortFree(meta.port) && std::chrono::steady_clock::now() < port_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!detail::PortFree(meta.port)) {
      throw Error(ErrorCode::kFailedPrecondition,
                  "port " + std::to_string(meta.port) +
                      " on 127.0.0.1 is taken by another process; "
                      "stop that process or recreate the instance on another port");
    }
    SetIntent(meta.id, "running");
    const auto log_file =
        dir / "log" / (meta.engine == Engine::kPostgresql ? "startup.log" : "mariadbd.out");
    const pid_t pid = detail::SpawnDetached(ServerCommand(meta, init_file), log_file);
    detail::WriteFile(PidFile(meta.id), std::to_string(pid) + "\n", 0600, RunAs());
    const auto wait = timeout.value_or(config.start_timeout);
    const auto deadline = Clock::now() + wait;
    while (Clock::now() < deadline) {
      if (!detail::Alive(pid)) {
        throw Error(ErrorCode::kFailedPrecondition,
                    std::string(engines::EngineName(meta.engine)) + " server of instance " +
                        meta.id +
                        " exited during start-up; fix the cause in its log and start it again:" +
                        LogTail(meta.id));
      }
      const bool up = meta.engine == Engine::kPostgresql
                          ? PostmasterReady(dir / "data" / "postmaster.pid") && Healthy(meta)
                          : Healthy(meta);
      if (up) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Terminate(meta, std::chrono::seconds(5));
    throw Error(ErrorCode::kDeadlineExceeded, "instance " + meta.id +
                                                  " did not accept connections within " +
                                                  std::to_string(wait.count()) +
                                                  " s; its log:" + LogTail(meta.id));
  }

  /// Stops the server: PostgreSQL fast shutdown (SIGINT) / MariaDB SIGTERM, SIGKILL after
  /// `grace`, then any process left under the instance directory.
  void Terminate(const Meta& meta, std::chrono::milliseconds grace) const {
    if (auto pid = ServerPid(meta.id)) {
      ::kill(*pid, meta.engine == Engine::kPostgresql ? SIGINT : SIGTERM);
      if (!detail::WaitGone(*pid, grace)) {
        log::Warn("runtime: server did not stop in time, killing it",
                  {{"instance", meta.id}, {"pid", static_cast<std::int64_t>(*pid)}});
        if (meta.engine == Engine::kPostgresql) {
          ::kill(*pid, SIGQUIT);  // immediate shutdown still removes shared memory
          detail::WaitGone(*pid, std::chrono::seconds(5));
        }
        ::kill(*pid, SIGKILL);
        detail::WaitGone(*pid, std::chrono::seconds(5));
      }
    }
    detail::KillProcessesUnder(Dir(meta.id), SIGKILL, std::chrono::milliseconds(0));
    std::error_code ec;
    fs::remove(PidFile(meta.id), ec);
  }

  /// Removes a crashed postmaster's System V segment (immediate shutdown and a clean stop
  /// remove it themselves; SIGKILL does not).
  static void RemoveStaleSharedMemory(const fs::path& data_dir) {
    std::ifstream in(data_dir / "postmaster.pid");
    std::string line;
    for (int i = 0; i < 7 && std::getline(in, line); ++i) {
    }
    std::istringstream fields(line);
    long key = 0;
    long shmid = -1;
    if (!(fields >> key >> shmid) || shmid < 0) return;
    shmid_ds ds{};
    if (::shmctl(static_cast<int>(shmid), IPC_STAT, &ds) == 0 && ds.shm_nattch == 0 &&
        ds.shm_perm.__key == static_cast<key_t>(key)) {
      ::shmctl(static_cast<int>(shmid), IPC_RMID, nullptr);
    }
  }

  /// Kills whatever runs under the instance directory and removes the directory.
  void Destroy(std::string_view id, std::optional<Engine> engine) const {
    const auto dir = Dir(id);
    if (auto pid = ServerPid(id)) {
      ::kill(*pid, engine == Engine::kPostgresql ? SIGQUIT : SIGKILL);
      detail::WaitGone(*pid, std::chrono::seconds(10));
    }
    if (!detail::KillProcessesUnder(dir, SIGKILL, std::chrono::milliseconds(0))) {
      throw Error(ErrorCode::kInternal, "processes of instance " + std::string(id) +
                                            " survived SIGKILL; remove them and delete again");
    }
    RemoveStaleSharedMemory(dir / "data");
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) {
      throw Error(ErrorCode::kInternal,
                  "cannot remove " + dir.string() + ": " + ec.message() + "; remove it by hand");
    }
  }

  std::uint16_t ChoosePort(const InstanceSpec& spec) {
    if (spec.port) {
      if (!detail::PortFree(*spec.port)) {
        throw Error(ErrorCode::kFailedPrecondition,
                    "port " + std::to_string(*spec.port) +
                        " on 127.0.0.1 is taken; choose a "
                        "free port or leave the port out to take one from the runtime's range");
      }
      return *spec.port;
    }
    std::vector<std::uint16_t> claimed;
    for (const auto& id : ListIds()) {
      try {
        claimed.push_back(LoadMeta(id).port);
      } catch (const std::exception&) {
        // Half-created or half-deleted instance: its port is decided by PortFree below.
      }
    }
    for (std::uint32_t p = config.port_min; p <= config.port_max; ++p) {
      const auto port = static_cast<std::uint16_t>(p);
      if (std::find(claimed.begin(), claimed.end(), port) != claimed.end()) continue;
      if (detail::PortFree(port)) return port;
    }
    throw Error(ErrorCode::kResourceExhausted, "no free port in the local runtime's range " +
                                                   std::to_string(config.port_min) + "-" +
                                                   std::to_string(config.port_max) +
                                                   "; delete unused instances or widen the range");
  }

  std::vector<std::string> ListIds() const {
    std::vector<std::string> ids;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(config.state_dir / "instances", ec)) {
      if (e.is_directory() && fs::exists(e.path() / "instance.json")) {
        ids.push_back(e.path().filename().string());
      }
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  void WriteTls(const Meta& meta) const {
    const auto tls = Dir(meta.id) / "tls";
    const auto issued = ca->Issue({"localhost"}, {"127.0.0.1"});
    detail::WriteFile(tls / "server.crt", issued.cert_pem, 0644, RunAs());
    detail::WriteFile(tls / "server.key", issued.key_pem, 0600, RunAs());
    detail::WriteFile(tls / "ca.pem", ca->CertPem(), 0644, RunAs());
  }

  engines::PlatformSettings Platform(const Meta& meta) const {
    const auto dir = Dir(meta.id);
    engines::PlatformSettings p;
    p.port = meta.port;
    p.listen_address = "127.0.0.1";
    p.data_dir = (dir / "data").string();
    p.socket_dir = (dir / "run").string();
    p.log_dir = (dir / "log").string();
    p.tls_cert_file = (dir / "tls" / "server.crt").string();
    p.tls_key_file = (dir / "tls" / "server.key").string();
    p.tls_ca_file = (dir / "tls" / "ca.pem").string();
    if (meta.engine == Engine::kMysql) p.pid_file = (dir / "run" / "mariadbd.pid").string();
    engines::ArchiveSettings archive;
    archive.archive_command = meta.archive_command;
    archive.server_id = ServerId(meta.id);
    p.archive = archive;
    return p;
  }

  /// Writes the engine config for meta's size and parameters.
  void WriteConfig(const Meta& meta,
                   const std::optional<engines::RecoveryTarget>& recovery = std::nullopt) const {
    const auto dir = Dir(meta.id);
    auto platform = Platform(meta);
    platform.recovery = recovery;
    auto text = engines::RenderConfig(meta.engine, SizeOrThrow(meta.size), meta.parameters, platform);
    if (meta.engine == Engine::kPostgresql) {
      detail::WriteFile(dir / "data" / "dbaas.conf", text, 0600, RunAs());
    } else {
      // Like pg_hba's hostssl: clients must use TLS.
      text += "require_secure_transport = ON\n";
      detail::WriteFile(dir / "my.cnf", text, 0644, RunAs());
    }
  }

  void InitPostgres(const Meta& meta, const std::string& password) const {
    const auto dir = Dir(meta.id);
    const auto pwfile = dir / "run" / "pwfile";
    detail::WriteFile(pwfile, password + "\n", 0600, RunAs());
    detail::Command cmd;
    cmd.argv = {Bin("initdb", "postgresql"),
                "-D",
                (dir / "data").string(),
                "-U",
                meta.admin_user,
                "--pwfile=" + pwfile.string(),
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-instructions"};
    if (config.fast_init) cmd.argv.push_back("--no-sync");
    cmd.user = RunAs();
    cmd.cwd = dir;
    cmd.env = {"PGDATA", "LC_ALL=C.UTF-8"};
    detail::CommandResult r;
    try {
      r = detail::Run(cmd, kCommandTimeout);
    } catch (...) {
      std::error_code ec;
      fs::remove(pwfile, ec);
      throw;
    }
    fs::remove(pwfile);
    if (r.exit_code != 0) {
      throw Error(ErrorCode::kInternal, "initdb failed (exit " + std::to_string(r.exit_code) +
                                            "): " + Trim(r.err + r.out) +
                                            "; check disk space and permissions of " +
                                            dir.string());
    }
    std::ofstream(dir / "data" / "postgresql.conf", std::ios::app) << "\ninclude 'dbaas.conf'\n";
    WritePgHba(meta, false);
  }

  /// TLS and SCRAM only, loopback only; replication (pg_basebackup) for the admin. While a
  /// restored instance gets its new admin password, `trust_local_admin` lets the admin in
  /// over the Unix socket, whose directory only the database OS user (and root) can enter.
  void WritePgHba(const Meta& meta, bool trust_local_admin) const {
    std::string hba = "# Generated by dbaas: TLS and SCRAM only, loopback only.\n";
    if (trust_local_admin) hba += "local   all \"" + meta.admin_user + "\"          trust\n";
    hba +=
        "local   all all                scram-sha-256\n"
        "hostssl all all 127.0.0.1/32   scram-sha-256\n"
        "hostssl replication \"" + meta.admin_user + "\" 127.0.0.1/32 scram-sha-256\n";
    detail::WriteFile(Dir(meta.id) / "data" / "pg_hba.conf", hba, 0600, RunAs());
  }

  /// Returns the init file that creates the admin account on first start.
  fs::path InitMariaDb(const Meta& meta, const std::string& password) const {
    const auto dir = Dir(meta.id);
    detail::Command cmd;
    cmd.argv = {MariaDbTool("mariadb-install-db", "mariadb-server"),
                "--no-defaults",
                "--datadir=" + (dir / "data").string(),
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
                // Temporary tables in the instance's own directory: in the shared /tmp,
                // install-db runs at once lose each other's tables now and then.
                "--tmpdir=" + (dir / "run").string()};
    if (RunAs()) cmd.argv.push_back("--user=" + user.name);
    cmd.user = RunAs();
    cmd.cwd = dir;
    const auto r = detail::Run(cmd, kCommandTimeout);
    if (r.exit_code != 0) {
      throw Error(ErrorCode::kInternal,
                  "mariadb-install-db failed (exit " + std::to_string(r.exit_code) +
                      "): " + Trim(r.err).substr(0, 2000) +
                      "; check disk space and permissions of " + dir.string());
    }
    // Only the verifier reaches the disk; the file is removed once the server is up.
    const std::string hash = engines::MysqlNativePasswordHash(password);
    const std::string sql =
        "DELETE FROM mysql.global_priv WHERE User IN ('root', '');\n"
        "FLUSH PRIVILEGES;\n"
        "CREATE USER '" +
        meta.admin_user + "'@'%' IDENTIFIED BY PASSWORD '" + hash +
        "';\n"
        "GRANT ALL PRIVILEGES ON *.* TO '" +
        meta.admin_user +
        "'@'%' WITH GRANT OPTION;\n"
        "FLUSH PRIVILEGES;\n";
    const auto init = dir / "run" / "init.sql";
    detail::WriteFile(init, sql, 0600, RunAs());
    return init;
  }

  std::string AdminSql(const Meta& meta, const std::string& password,
                       const std::string& sql) const {
    detail::Command cmd;
    if (meta.engine == Engine::kPostgresql) {
      cmd = PsqlCommand(meta, password, false);
      cmd.argv.insert(cmd.argv.end(), {"-c", sql});
    } else {
      cmd = MariaDbClient(meta, password);
      cmd.argv.push_back("--execute=" + sql);
    }
    const auto r = detail::Run(cmd, kCommandTimeout);
    if (r.exit_code == 0) return r.out;
    const std::string err = Trim(r.err);
    ErrorCode code = ErrorCode::kInvalidArgument;
    if (err.find("could not connect") != std::string::npos ||
        err.find("Can't connect") != std::string::npos ||
        err.find("Connection refused") != std::string::npos) {
      code = ErrorCode::kUnavailable;
    } else if (err.find("password authentication failed") != std::string::npos ||
               err.find("Access denied") != std::string::npos) {
      code = ErrorCode::kPermissionDenied;
    }
    throw Error(code, "admin SQL on instance " + meta.id + " failed: " + err);
  }

  CreatedInstance CreateInstance(const InstanceSpec& spec, const RestoreSource* source);
  /// Unpacks a full backup into data/ (PostgreSQL: tar; MariaDB: mbstream + prepare). Returns
  /// the MariaDB init file that sets the new admin password.
  std::optional<fs::path> RestorePhysical(const Meta& meta, const RestoreSource& source,
                                          const std::string& password) const;
  /// After the first start of a restored instance: the new admin password (PostgreSQL), the
  /// logical dump, MariaDB binlog replay to the target time.
  void Recover(const Meta& meta, const RestoreSource& source, const std::string& password) const;
  void ReplayBinlogs(const Meta& meta, const RestoreSource& source,
                     const std::string& password) const;
  /// Runs `consumer` with `in_fd` (or the source's output) as stdin, through `edit`.
  void Feed(int in_fd, ToolProcess* producer, const detail::Command& consumer,
            const StreamEdit* edit, const std::string& what) const;
  void FeedSource(const RestoreSource& source, const detail::Command& consumer,
                  const StreamEdit* edit, const std::string& what) const;
  /// psql as the admin: over TLS with `password`, or (`socket`) over the Unix socket.
  detail::Command PsqlCommand(const Meta& meta, const std::string& password, bool socket) const;
  detail::Command MariaDbClient(const Meta& meta, const std::string& password) const;
  engines::BackupSource Source(const Meta& meta, const std::string& password) const;

  static std::string ParseServerVersion(Engine engine, const std::string& text) {
    std::string v = Trim(text);
    if (engine == Engine::kPostgresql) return v.substr(0, v.find(' '));
    const auto pos = v.find("-MariaDB");
    return pos == std::string::npos ? v : v.substr(0, pos + 8);
  }
};

CreatedInstance LocalRuntime::Impl::CreateInstance(const InstanceSpec& spec,
                                                   const RestoreSource* source) {
  auto& s = *this;
  ValidateId(spec.id);
  const auto& size = SizeOrThrow(spec.size);
  const std::string version = spec.engine == Engine::kPostgresql ? "15" : "10.11";
  if (!spec.version.empty() && spec.version != version) {
    throw Error(ErrorCode::kInvalidArgument, "version not available on the local runtime",
                {{"version", std::string(engines::EngineName(spec.engine)) + " " + spec.version +
                                 " is not available; this runtime serves " + version}});
  }
  // Missing packages fail before anything is made.
  if (spec.engine == Engine::kPostgresql) {
    s.Bin("initdb", "postgresql");
    s.Bin("postgres", "postgresql");
    s.Bin("pg_isready", "postgresql-client");
  } else {
    s.MariaDbTool("mariadb-install-db", "mariadb-server");
    if (::access(s.config.mariadbd.c_str(), X_OK) != 0) {
      throw Error(
          ErrorCode::kFailedPrecondition,
          s.config.mariadbd.string() + " not found; install the Debian package mariadb-server");
    }
  }
  const auto dir = s.Dir(spec.id);
  const auto socket = dir / "run" / ".s.PGSQL.65535";
  if (socket.string().size() > kMaxSocketPath) {
    throw Error(ErrorCode::kFailedPrecondition, "the instance path " + dir.string() +
                                                    " is too long for a Unix socket; use a "
                                                    "shorter state directory or instance id");
  }

  Meta meta;
  meta.id = spec.id;
  meta.engine = spec.engine;
  meta.version = version;
  meta.size = size.name;
  meta.parameters = spec.parameters;
  meta.admin_user = s.config.admin_user;
  meta.archive_command = spec.archive_command;
  const bool physical = source != nullptr && source->kind == engines::BackupKind::kFull;
  const auto started = Clock::now();
  std::string step = "port";
  {
    // One port claim at a time in this process: the claim is the instance.json written below.
    static std::mutex claim_mutex;
    std::lock_guard lock(claim_mutex);
    try {
      s.Hook(step);
      meta.port = s.ChoosePort(spec);
    } catch (...) {
      RethrowForStep(spec.id, step, "nothing was created", source != nullptr);
    }
    if (::mkdir(dir.c_str(), 0700) != 0) {
      if (errno == EEXIST) {
        throw Error(ErrorCode::kAlreadyExists, "instance " + spec.id + " already exists");
      }
      throw Error(ErrorCode::kFailedPrecondition,
                  "cannot create " + dir.string() + ": " + std::strerror(errno));
    }
    try {
      step = "directories";
      s.Hook(step);
      for (const char* sub : {"data", "log", "run", "tls"}) fs::create_directories(dir / sub);
      for (const char* sub : {"data", "log", "run", "tls"}) ::chmod((dir / sub).c_str(), 0700);
      if (auto u = s.RunAs()) detail::ChownTree(dir, *u);
      s.SaveMeta(meta);
      s.SetIntent(meta.id, "creating");
    } catch (...) {
      s.Destroy(spec.id, spec.engine);
      RethrowForStep(spec.id, step, "everything created was removed", source != nullptr);
    }
  }
  try {
    step = "tls";
    s.Hook(step);
    s.WriteTls(meta);

    const std::string password = engines::GeneratePassword();
    std::optional<fs::path> init_file;
    std::optional<engines::RecoveryTarget> recovery;
    if (physical) {
      step = "restore";
      s.Hook(step);
      init_file = s.RestorePhysical(meta, *source, password);
      if (meta.engine == Engine::kPostgresql && source->target_time) {
        recovery = engines::RecoveryTarget{source->wal_restore_command, source->target_time};
      }
    } else {
      step = "init";
      s.Hook(step);
      if (meta.engine == Engine::kPostgresql) {
        s.InitPostgres(meta, password);
      } else {
        init_file = s.InitMariaDb(meta, password);
      }
    }

    step = "configure";
    s.Hook(step);
    s.WriteConfig(meta, recovery);
    if (recovery) detail::WriteFile(dir / "data" / "recovery.signal", "", 0600, s.RunAs());

    step = "start";
    s.Hook(step);
    // A restored PostgreSQL reports ready only once WAL replay is done and, for a point in
    // time, it has promoted itself.
    s.Launch(meta, init_file,
             source != nullptr ? std::optional(s.config.restore_timeout) : std::nullopt);

    if (source != nullptr) {
      step = "recover";
      s.Hook(step);
      s.Recover(meta, *source, password);
    }

    step = "secure";
    s.Hook(step);
    if (init_file) fs::remove(*init_file);
    // A real login as the admin over verified TLS: credentials, certificate and hba all work.
    meta.server_version = Impl::ParseServerVersion(
        meta.engine, s.AdminSql(meta, password,
                                meta.engine == Engine::kPostgresql ? "SHOW server_version"
                                                                   : "SELECT VERSION()"));

    step = "finish";
    s.Hook(step);
    s.SaveMeta(meta);
    s.SetIntent(meta.id, "running");
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    log::Info("runtime: instance created",
              {{"instance", meta.id},
               {"engine", std::string(engines::EngineName(meta.engine))},
               {"port", static_cast<int>(meta.port)},
               {"ms", static_cast<std::int64_t>(ms.count())}});
    CreatedInstance created;
    created.endpoint = {meta.engine, "127.0.0.1", meta.port, meta.admin_user, s.ca->CertPem()};
    created.admin_password = password;
    created.server_version = meta.server_version;
    return created;
  } catch (...) {
    s.Destroy(spec.id, spec.engine);
    RethrowForStep(spec.id, step, "everything created was removed", source != nullptr);
  }
}


detail::Command LocalRuntime::Impl::PsqlCommand(const Meta& meta, const std::string& password,
                                                bool socket) const {
  detail::Command cmd;
  const std::string conninfo =
      socket ? "host=" + (Dir(meta.id) / "run").string() + " port=" + std::to_string(meta.port) +
                   " user=" + meta.admin_user + " dbname=postgres connect_timeout=10"
             : "host=127.0.0.1 port=" + std::to_string(meta.port) + " user=" + meta.admin_user +
                   " dbname=postgres sslmode=verify-full sslrootcert=" +
                   (Dir(meta.id) / "tls" / "ca.pem").string() + " connect_timeout=10";
  cmd.argv = {Bin("psql", "postgresql-client"), "-X", "-q", "-A", "-t", "-F", "\t", "-v",
              "ON_ERROR_STOP=1", conninfo};
  cmd.env = {"PGHOST",     "PGPORT",    "PGUSER",    "PGDATABASE", "PGSERVICE",
             "PGOPTIONS",  "PGSSLMODE", "PGPASSFILE=/dev/null"};
  cmd.env.push_back(socket ? "PGPASSWORD" : "PGPASSWORD=" + password);
  return cmd;
}

detail::Command LocalRuntime::Impl::MariaDbClient(const Meta& meta,
                                                  const std::string& password) const {
  detail::Command cmd;
  cmd.argv = {MariaDbTool("mariadb", "mariadb-client"),
              "--no-defaults",
              "--protocol=TCP",
              "--host=127.0.0.1",
              "--port=" + std::to_string(meta.port),
              "--user=" + meta.admin_user,
              "--batch",
              "--skip-column-names",
              "--ssl",
              "--ssl-ca=" + (Dir(meta.id) / "tls" / "ca.pem").string(),
              "--ssl-verify-server-cert",
              "--connect-timeout=10"};
  cmd.env = {"MYSQL_PWD=" + password, "MYSQL_HOST", "MYSQL_TCP_PORT"};
  return cmd;
}

engines::BackupSource LocalRuntime::Impl::Source(const Meta& meta,
                                                 const std::string& password) const {
  engines::BackupSource src;
  src.engine = meta.engine;
  src.host = "127.0.0.1";
  src.port = meta.port;
  src.admin_user = meta.admin_user;
  src.admin_password = password;
  src.ca_file = (Dir(meta.id) / "tls" / "ca.pem").string();
  src.data_dir = (Dir(meta.id) / "data").string();
  src.postgres_bin_dir = config.postgres_bin_dir.string();
  src.mariadb_bin_dir = fs::path(MariaDbTool("mariadb", "mariadb-client")).parent_path().string();
  return src;
}

void LocalRuntime::Impl::Feed(int in_fd, ToolProcess* producer, const detail::Command& consumer,
                              const StreamEdit* edit, const std::string& what) const {
  const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  std::unique_ptr<ToolProcess> sink;
  try {
    if (edit == nullptr) {
      sink = ToolProcessAccess::Start(consumer, in_fd, null_fd);
      if (producer != nullptr) producer->CloseStdout();
    } else {
      int p[2];
      if (::pipe2(p, O_CLOEXEC) != 0) throw Error(ErrorCode::kInternal, "runtime: pipe2 failed");
      try {
        sink = ToolProcessAccess::Start(consumer, p[0], null_fd);
      } catch (...) {
        ::close(p[0]);
        ::close(p[1]);
        throw;
      }
      ::close(p[0]);
      Pump(in_fd, p[1], *edit);
      ::close(p[1]);
      if (producer != nullptr) producer->CloseStdout();
    }
  } catch (...) {
    ::close(null_fd);
    throw;
  }
  ::close(null_fd);
  const int sink_rc = sink->Wait();
  const int source_rc = producer != nullptr ? producer->Wait() : 0;
  // The producer's own failure is the cause; a SIGPIPE only means the consumer stopped reading.
  if (source_rc != 0 && source_rc != 128 + SIGPIPE) {
    throw Error(ErrorCode::kFailedPrecondition,
                "reading the backup stream failed (" + producer->Name() + " exit " +
                    std::to_string(source_rc) + "): " + ToolTail(producer->Stderr()));
  }
  if (sink_rc != 0) {
    throw Error(ErrorCode::kInvalidArgument, what + " failed (" + sink->Name() + " exit " +
                                                 std::to_string(sink_rc) +
                                                 "): " + ToolTail(sink->Stderr()));
  }
}

void LocalRuntime::Impl::FeedSource(const RestoreSource& source, const detail::Command& consumer,
                                    const StreamEdit* edit, const std::string& what) const {
  if (source.fd >= 0) {
    Feed(source.fd, nullptr, consumer, edit, what);
    return;
  }
  ToolProcess producer(source.command);
  Feed(producer.Stdout(), &producer, consumer, edit, what);
}

std::optional<fs::path> LocalRuntime::Impl::RestorePhysical(const Meta& meta,
                                                            const RestoreSource& source,
                                                            const std::string& password) const {
  const auto dir = Dir(meta.id);
  const auto data = dir / "data";
  detail::Command unpack;
  unpack.user = RunAs();
  unpack.cwd = dir;
  if (meta.engine == Engine::kPostgresql) {
    unpack.argv = {detail::FindBinary("tar", {"/usr/bin", "/bin"}, "tar"), "--extract", "--file=-", "--directory=" + data.string(),
                   "--no-same-owner"};
    FeedSource(source, unpack, nullptr, "unpacking the PostgreSQL base backup (tar)");
    std::string version;
    std::ifstream(data / "PG_VERSION") >> version;
    if (version != meta.version || !fs::exists(data / "backup_label")) {
      throw Error(ErrorCode::kInvalidArgument,
                  "the backup stream is not a PostgreSQL " + meta.version +
                      " base backup (no PG_VERSION " + meta.version +
                      " and backup_label in it); restore a full backup taken with "
                      "pg_basebackup from a PostgreSQL " + meta.version + " instance");
    }
    WritePgHba(meta, true);
    return std::nullopt;
  }
  unpack.argv = {MariaDbTool("mbstream", "mariadb-backup"), "-x", "-C", data.string()};
  FeedSource(source, unpack, nullptr, "unpacking the MariaDB backup (mbstream)");
  if (!fs::exists(data / "xtrabackup_checkpoints")) {
    throw Error(ErrorCode::kInvalidArgument,
                "the backup stream is not a mariadb-backup xbstream (no xtrabackup_checkpoints "
                "in it); restore a full backup taken with mariadb-backup --stream=xbstream");
  }
  detail::Command prepare;
  prepare.user = RunAs();
  prepare.cwd = dir;
  prepare.argv = {MariaDbTool("mariadb-backup", "mariadb-backup"), "--no-defaults", "--prepare",
                  "--target-dir=" + data.string(), "--tmpdir=" + (dir / "run").string()};
  const auto r = detail::Run(prepare, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          config.restore_timeout));
  if (r.exit_code != 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "mariadb-backup --prepare failed (exit " + std::to_string(r.exit_code) +
                    "): " + ToolTail(r.err + r.out) + "; the backup is damaged or incomplete");
  }
  // The restored accounts are the source's; the admin gets this instance's own password on the
  // first start (only its hash reaches the disk; the file is removed once the server is up).
  const auto init = dir / "run" / "init.sql";
  detail::WriteFile(init,
                    "ALTER USER '" + meta.admin_user + "'@'%' IDENTIFIED BY PASSWORD '" +
                        engines::MysqlNativePasswordHash(password) + "';\nFLUSH PRIVILEGES;\n",
                    0600, RunAs());
  return init;
}

void LocalRuntime::Impl::Recover(const Meta& meta, const RestoreSource& source,
                                 const std::string& password) const {
  const bool physical = source.kind == engines::BackupKind::kFull;
  if (meta.engine == Engine::kPostgresql && physical) {
    // A hot standby accepts connections (and reports ready) while it still replays WAL: wait
    // for the promotion at the target (or at the end of the WAL).
    const auto deadline = Clock::now() + config.restore_timeout;
    for (;;) {
      auto check = PsqlCommand(meta, password, true);
      check.argv.insert(check.argv.end(), {"-c", "SELECT pg_is_in_recovery()"});
      const auto r = detail::Run(check, kCommandTimeout);
      if (r.exit_code == 0 && Trim(r.out) == "f") break;
      if (!ServerPid(meta.id)) {
        throw Error(ErrorCode::kFailedPrecondition,
                    "the restored PostgreSQL server stopped during recovery; when its log says "
                    "the recovery target was not reached, the archived WAL ends before the "
                    "target time:" + LogTail(meta.id));
      }
      if (Clock::now() > deadline) {
        throw Error(ErrorCode::kDeadlineExceeded,
                    "recovery of instance " + meta.id + " did not finish within " +
                        std::to_string(config.restore_timeout.count()) + " s:" + LogTail(meta.id));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto cmd = PsqlCommand(meta, password, true);
    cmd.argv.insert(cmd.argv.end(), {"-c", "ALTER ROLE \"" + meta.admin_user + "\" PASSWORD '" +
                                               engines::PostgresScramVerifier(password) + "'"});
    const auto r = detail::Run(cmd, kCommandTimeout);
    if (r.exit_code != 0) {
      throw Error(ErrorCode::kInternal,
                  "setting the restored instance's admin password failed: " + ToolTail(r.err) +
                      "; the backup must come from an instance whose administrator is " +
                      meta.admin_user);
    }
    // Promoted: from now on the instance archives with its own settings, and the socket asks
    // for a password again.
    WritePgHba(meta, false);
    WriteConfig(meta);
    if (auto pid = ServerPid(meta.id)) ::kill(*pid, SIGHUP);
    return;
  }
  if (physical) {
    if (source.target_time) ReplayBinlogs(meta, source, password);
    return;
  }
  if (meta.engine == Engine::kPostgresql) {
    // The dump re-creates every role; the admin exists already and keeps this instance's
    // password, so its CREATE/ALTER lines are left out.
    StreamEdit edit;
    edit.drop_prefixes = {"CREATE ROLE \"" + meta.admin_user + "\";",
                          "ALTER ROLE \"" + meta.admin_user + "\" WITH "};
    FeedSource(source, PsqlCommand(meta, password, false), &edit,
               "loading the PostgreSQL dump (psql)");
    return;
  }
  // The dump replaces the mysql schema with the source's accounts; in the same session the
  // admin gets this instance's password back before the privileges are reloaded.
  StreamEdit edit;
  edit.trailer = "ALTER USER '" + meta.admin_user + "'@'%' IDENTIFIED BY PASSWORD '" +
                 engines::MysqlNativePasswordHash(password) + "';\nFLUSH PRIVILEGES;\n";
  auto client = MariaDbClient(meta, password);
  client.argv.push_back("--binary-mode");
  FeedSource(source, client, &edit, "loading the MariaDB dump (mariadb)");
}

void LocalRuntime::Impl::ReplayBinlogs(const Meta& meta, const RestoreSource& source,
                                       const std::string& password) const {
  const auto dir = Dir(meta.id);
  std::optional<engines::BinlogPosition> start;
  if (fs::exists(dir / "data" / "xtrabackup_binlog_info")) {
    start = engines::ParseXtrabackupBinlogInfo(detail::ReadFile(dir / "data" / "xtrabackup_binlog_info"));
  }
  if (!start) {
    throw Error(ErrorCode::kFailedPrecondition,
                "the backup holds no binlog position (binary logging was off on its source), so "
                "it cannot be rolled forward to a point in time; restore it without a target time");
  }
  const auto fetched = dir / "run" / "binlogs";
  fs::create_directories(fetched);
  std::vector<std::string> files;
  std::optional<std::string> name = start->file;
  while (name) {
    const auto path = fetched / *name;
    detail::Command fetch;
    fetch.argv = {"/bin/sh", "-c",
                  engines::ExpandFileTemplate(source.binlog_fetch_command, *name, path.string())};
    fetch.cwd = fetched;
    const auto r = detail::Run(fetch, kCommandTimeout);
    if (r.exit_code != 0 || !fs::exists(path)) break;
    files.push_back(path.string());
    name = engines::NextBinlogName(*name);
  }
  if (files.empty()) {
    throw Error(ErrorCode::kFailedPrecondition,
                "binlog " + start->file + " (where the backup ends) is not archived; the "
                "backup cannot be rolled forward to a point in time");
  }
  // Exactness needs the archive to reach past the boundary: the last archived file must hold an
  // event at or after the stop second.
  const auto bin_dir = fs::path(MariaDbTool("mariadb-binlog", "mariadb-client")).parent_path();
  engines::BinlogFile last;
  {
    engines::ToolCommand read;
    read.argv = {(bin_dir / "mariadb-binlog").string(), "--no-defaults", files.back()};
    read.env = {"TZ=UTC"};
    ScanBinlogTimes(read, last);
  }
  const auto stop =
      std::chrono::floor<std::chrono::seconds>(*source.target_time) + std::chrono::seconds(1);
  if (!last.last_event || *last.last_event < stop) {
    throw Error(ErrorCode::kFailedPrecondition,
                "the archived binlogs end at " +
                    (last.last_event ? engines::FormatUtc(*last.last_event, false) : "(no events)") +
                    ", before the target time; the latest restorable time is the second before "
                    "the last archived event");
  }
  ToolProcess producer(
      engines::BinlogReplayCommand(files, start->position, source.target_time, bin_dir.string()));
  StreamEdit edit;  // the admin keeps this instance's password even if the binlog changed it
  edit.trailer = "ALTER USER '" + meta.admin_user + "'@'%' IDENTIFIED BY PASSWORD '" +
                 engines::MysqlNativePasswordHash(password) + "';\nFLUSH PRIVILEGES;\n";
  auto client = MariaDbClient(meta, password);
  client.argv.push_back("--binary-mode");
  Feed(producer.Stdout(), &producer, client, &edit, "replaying binlogs (mariadb)");
  std::error_code ec;
  fs::remove_all(fetched, ec);
}

LocalRuntime::LocalRuntime(LocalRuntimeConfig config) : impl_(std::make_unique<Impl>()) {
  if (config.state_dir.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "local runtime: state_dir is required");
  }
  if (config.port_min == 0 || config.port_min > config.port_max) {
    throw Error(ErrorCode::kInvalidArgument, "local runtime: port range is empty");
  }
  config.state_dir = fs::absolute(config.state_dir).lexically_normal();
  impl_->config = std::move(config);
  auto& c = impl_->config;
  impl_->user = detail::ResolveOsUser(c.os_user);
  std::error_code ec;
  fs::create_directories(c.state_dir / "instances", ec);
  if (ec) {
    throw Error(ErrorCode::kFailedPrecondition,
                "cannot create " + (c.state_dir / "instances").string() + ": " + ec.message());
  }
  ::chmod((c.state_dir / "instances").c_str(), 0755);
  detail::CheckTraversable(c.state_dir / "instances", impl_->user);
  impl_->ca = CertificateAuthority::LoadOrCreate(c.state_dir / "ca");
}

LocalRuntime::~LocalRuntime() = default;

fs::path LocalRuntime::InstanceDir(std::string_view id) const {
  return impl_->Dir(id);
}
fs::path LocalRuntime::CaFile() const {
  return impl_->config.state_dir / "ca" / "ca.pem";
}

CreatedInstance LocalRuntime::Create(const InstanceSpec& spec) {
  return impl_->CreateInstance(spec, nullptr);
}

CreatedInstance LocalRuntime::CreateFromBackup(const InstanceSpec& spec,
                                               const RestoreSource& source) {
  std::vector<FieldViolation> problems;
  if (source.fd < 0 && source.command.argv.empty()) {
    problems.push_back({"source", "give a stream descriptor or a command producing the stream"});
  }
  if (source.target_time && source.kind != engines::BackupKind::kFull) {
    problems.push_back({"target_time", "point-in-time recovery needs a full backup"});
  }
  if (source.target_time && spec.engine == Engine::kPostgresql &&
      source.wal_restore_command.empty()) {
    problems.push_back({"wal_restore_command", "is required for point-in-time recovery"});
  }
  if (source.target_time && spec.engine == Engine::kMysql && source.binlog_fetch_command.empty()) {
    problems.push_back({"binlog_fetch_command", "is required for point-in-time recovery"});
  }
  if (!problems.empty()) {
    throw Error(ErrorCode::kInvalidArgument, "invalid restore source", std::move(problems));
  }
  return impl_->CreateInstance(spec, &source);
}

void LocalRuntime::Start(std::string_view id) {
  const auto meta = impl_->LoadMeta(id);
  if (impl_->ServerPid(id)) {
    impl_->SetIntent(id, "running");
    return;
  }
  // Leftovers of a crash (a postmaster's children, stale shared memory) must not block the start.
  detail::KillProcessesUnder(impl_->Dir(id), SIGKILL, std::chrono::milliseconds(0));
  if (meta.engine == Engine::kPostgresql) {
    // No live process of this instance is left, so postmaster.pid is stale. postgres itself
    // would refuse to start while the dead postmaster lingers as a zombie (when nothing reaps
    // orphans, as in some containers).
    const auto data = impl_->Dir(id) / "data";
    Impl::RemoveStaleSharedMemory(data);
    std::error_code ec;
    fs::remove(data / "postmaster.pid", ec);
    for (const auto& e : fs::directory_iterator(impl_->Dir(id) / "run", ec)) {
      if (e.path().filename().string().rfind(".s.PGSQL.", 0) == 0) fs::remove(e.path(), ec);
    }
    // The current access rules, so an instance made by an older version gains what newer
    // features need (e.g. replication for the admin: pg_basebackup, full backups).
    impl_->WritePgHba(meta, false);
  }
  try {
    impl_->Launch(meta);
  } catch (...) {
    impl_->Terminate(meta, std::chrono::seconds(5));
    throw;
  }
}

void LocalRuntime::Stop(std::string_view id) {
  const auto meta = impl_->LoadMeta(id);
  impl_->SetIntent(id, "stopped");
  impl_->Terminate(meta, impl_->config.stop_timeout);
}

void LocalRuntime::Restart(std::string_view id) {
  Stop(id);
  Start(id);
}

ConfigChange LocalRuntime::Resize(std::string_view id, const ResizeSpec& spec) {
  auto& s = *impl_;
  auto meta = s.LoadMeta(id);
  const auto& new_size = SizeOrThrow(spec.size.empty() ? meta.size : spec.size);
  auto merged = [&meta](const engines::InstanceSize& size, const engines::ParameterValues& params) {
    auto values = engines::SizeSettings(meta.engine, size);
    for (const auto& [k, v] : params) values[k] = v;
    return values;
  };
  const auto before = merged(SizeOrThrow(meta.size), meta.parameters);
  const auto after = merged(new_size, spec.parameters);
  std::vector<std::string> changed;
  for (const auto& [k, v] : after) {
    auto it = before.find(k);
    if (it == before.end() || it->second != v) changed.push_back(k);
  }
  for (const auto& [k, v] : before) {
    if (!after.count(k)) changed.push_back(k);
  }
  std::sort(changed.begin(), changed.end());

  Meta updated = meta;
  updated.size = new_size.name;
  updated.parameters = spec.parameters;
  const fs::path conf =
      meta.engine == Engine::kPostgresql ? s.Dir(id) / "data" / "dbaas.conf" : s.Dir(id) / "my.cnf";
  const std::string old_conf = detail::ReadFile(conf);
  s.WriteConfig(updated);  // throws INVALID_ARGUMENT for a bad parameter before anything changes
  s.SaveMeta(updated);

  ConfigChange change;
  const auto pid = s.ServerPid(id);
  if (!pid) {
    change.pending_restart = changed;  // applied by the next start
    return change;
  }
  std::vector<std::string> static_changed;
  std::vector<std::string> dynamic_changed;
  for (const auto& name : changed) {
    const auto* p = engines::FindParameter(meta.engine, name);
    (p != nullptr && p->dynamic ? dynamic_changed : static_changed).push_back(name);
  }
  if (!dynamic_changed.empty()) {
    if (meta.engine == Engine::kPostgresql) {
      ::kill(*pid, SIGHUP);  // pg_ctl reload
    } else {
      if (spec.admin_password.empty()) {
        throw Error(ErrorCode::kFailedPrecondition,
                    "the new settings are written but not applied: MariaDB applies dynamic "
                    "settings with SET GLOBAL, which needs the admin password");
      }
      std::string sql;
      for (const auto& name : dynamic_changed) {
        auto it = after.find(name);
        sql += "SET GLOBAL " + name + " = " +
               (it == after.end() ? "DEFAULT" : MariaDbValue(it->second)) + ";";
      }
      s.AdminSql(updated, spec.admin_password, sql);
    }
    change.applied_live = dynamic_changed;
  }
  if (!static_changed.empty()) {
    if (!spec.allow_restart) {
      change.pending_restart = static_changed;
      return change;
    }
    try {
      Restart(id);
    } catch (const Error& e) {
      // The engine refused the new static settings: go back to the old config.
      detail::WriteFile(conf, old_conf, 0600, s.RunAs());
      s.SaveMeta(meta);
      Start(id);
      throw Error(e.Code(), "instance " + std::string(id) +
                                " did not start with the new settings; "
                                "the previous settings are back in place: " +
                                e.what());
    }
    change.applied_by_restart = static_changed;
    change.restarted = true;
  }
  return change;
}

void LocalRuntime::Delete(std::string_view id) {
  ValidateId(id);
  if (!fs::exists(impl_->Dir(id))) return;
  std::optional<Engine> engine;
  try {
    engine = impl_->LoadMeta(id).engine;
  } catch (const std::exception&) {
    // Half-created or half-deleted: remove whatever is there.
  }
  impl_->SetIntent(id, "deleting");
  impl_->Destroy(id, engine);
  log::Info("runtime: instance deleted", {{"instance", std::string(id)}});
}

InstanceStatus LocalRuntime::Status(std::string_view id) {
  const auto meta = impl_->LoadMeta(id);
  InstanceStatus status;
  const std::string intent = impl_->Intent(id);
  if (const auto pid = impl_->ServerPid(id)) {
    status.pid = *pid;
    if (impl_->Healthy(meta)) {
      status.state = InstanceState::kRunning;
    } else {
      status.state = intent == "running" ? InstanceState::kStarting : InstanceState::kFailed;
      status.detail = "server process " + std::to_string(*pid) + " is up but does not answer";
    }
    return status;
  }
  if (intent == "stopped") {
    status.state = InstanceState::kStopped;
    return status;
  }
  status.state = InstanceState::kFailed;
  status.detail =
      "the server process is gone (crashed or killed); start the instance again or "
      "see its log:" +
      impl_->LogTail(id, 400);
  return status;
}

std::vector<std::string> LocalRuntime::List() {
  return impl_->ListIds();
}

std::string LocalRuntime::ExecAdminSql(std::string_view id, const std::string& admin_password,
                                       const std::string& sql) {
  return impl_->AdminSql(impl_->LoadMeta(id), admin_password, sql);
}

void LocalRuntime::Promote(std::string_view id) {
  impl_->LoadMeta(id);
  throw Error(ErrorCode::kFailedPrecondition, "promote is not supported by the local runtime yet");
}

CreatedInstance LocalRuntime::AddReplica(std::string_view id, const std::string&) {
  impl_->LoadMeta(id);
  throw Error(ErrorCode::kFailedPrecondition,
              "read replicas are not supported by the local runtime yet");
}

Endpoint LocalRuntime::GetEndpoint(std::string_view id) {
  const auto meta = impl_->LoadMeta(id);
  return {meta.engine, "127.0.0.1", meta.port, meta.admin_user, impl_->ca->CertPem()};
}


namespace {

/// A backup tool running for LocalRuntime::StartBackup; removes its scratch directory at the end.
class LocalBackupStream final : public BackupStream {
 public:
  LocalBackupStream(const engines::ToolCommand& command, engines::Engine engine,
                    engines::BackupKind kind, std::string server_version, fs::path scratch)
      : engine_(engine), kind_(kind), server_version_(std::move(server_version)),
        scratch_(std::move(scratch)) {
    try {
      tool_ = std::make_unique<ToolProcess>(command);
    } catch (...) {
      RemoveScratch();
      throw;
    }
  }
  ~LocalBackupStream() override {
    tool_.reset();
    RemoveScratch();
  }
  LocalBackupStream(const LocalBackupStream&) = delete;
  LocalBackupStream& operator=(const LocalBackupStream&) = delete;

  int Fd() const override { return tool_->Stdout(); }

  BackupInfo Finish() override {
    tool_->CloseStdout();
    const int rc = tool_->Wait();
    RemoveScratch();
    const std::string err = tool_->Stderr();
    if (rc != 0) {
      const bool refused = err.find("authentication failed") != std::string::npos ||
                           err.find("Access denied") != std::string::npos;
      throw Error(refused ? ErrorCode::kPermissionDenied : ErrorCode::kInternal,
                  std::string(engines::BackupKindName(kind_)) + " backup failed (" + tool_->Name() +
                      " exit " + std::to_string(rc) + "): " + ToolTail(err));
    }
    BackupInfo info;
    info.kind = kind_;
    info.server_version = server_version_;
    info.point = engines::ParseBackupLog(engine_, err);
    return info;
  }

 private:
  void RemoveScratch() noexcept {
    if (scratch_.empty()) return;
    std::error_code ec;
    fs::remove_all(scratch_, ec);
  }

  engines::Engine engine_;
  engines::BackupKind kind_;
  std::string server_version_;
  fs::path scratch_;
  std::unique_ptr<ToolProcess> tool_;
};

}  // namespace

std::unique_ptr<BackupStream> LocalRuntime::StartBackup(std::string_view id,
                                                        const std::string& admin_password,
                                                        engines::BackupKind kind) {
  const auto meta = impl_->LoadMeta(id);
  if (!impl_->ServerPid(id)) {
    throw Error(ErrorCode::kFailedPrecondition,
                "instance " + std::string(id) + " is not running; start it before a backup");
  }
  auto source = impl_->Source(meta, admin_password);
  fs::path scratch;
  if (meta.engine == Engine::kMysql && kind == engines::BackupKind::kFull) {
    // mariadb-backup's own files (it writes nothing big with --stream); removed at the end.
    std::string pattern = (impl_->Dir(id) / "run" / "backup-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw Error(ErrorCode::kInternal, "cannot create a scratch directory in " +
                                            (impl_->Dir(id) / "run").string());
    }
    scratch = pattern;
    source.tmp_dir = scratch.string();
  }
  return std::make_unique<LocalBackupStream>(engines::BackupCommand(source, kind), meta.engine,
                                             kind, meta.server_version, scratch);
}

std::vector<engines::BinlogFile> LocalRuntime::ListBinlogs(std::string_view id,
                                                           const std::string& admin_password) {
  const auto meta = impl_->LoadMeta(id);
  if (meta.engine != Engine::kMysql) {
    throw Error(ErrorCode::kFailedPrecondition,
                "instance " + std::string(id) + " is PostgreSQL; it archives WAL, not binlogs");
  }
  auto files = engines::ParseShowBinaryLogs(impl_->AdminSql(meta, admin_password, "SHOW BINARY LOGS"));
  const auto source = impl_->Source(meta, admin_password);
  for (auto& file : files) {
    if (file.closed) ScanBinlogTimes(engines::BinlogReadCommand(source, file.name), file);
  }
  return files;
}

}  // namespace dbaas::runtime

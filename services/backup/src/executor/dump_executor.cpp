#include "executor/dump_executor.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"

namespace dbaas::backup {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A private directory for one run's CA file and tool log; removed with the object.
class ScratchDir {
 public:
  explicit ScratchDir(fs::path path) : path_(std::move(path)) {
    fs::create_directories(path_);
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::replace);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& Path() const { return path_; }

 private:
  fs::path path_;
};

void WritePrivateFile(const fs::path& file, const std::string& content) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(ErrorCode::kInternal, "cannot write " + file.string());
  std::size_t done = 0;
  while (done < content.size()) {
    const auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      ::close(fd);
      throw Error(ErrorCode::kInternal, "cannot write " + file.string());
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

std::string Tail(const fs::path& file, std::size_t max = 600) {
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.size() > max) text = "..." + text.substr(text.size() - max);
  return text;
}

// Runs argv with exactly `env` as its environment, stdout into `out` (0600) and stderr into
// `err`; reports the growing output size through `progress`. Returns the exit status.
int RunTool(const std::vector<std::string>& argv, const std::vector<std::string>& env,
            const fs::path& out, const fs::path& err, std::chrono::milliseconds timeout,
            const ProgressFn& progress) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw Error(ErrorCode::kFailedPrecondition, "cannot start " + argv[0], {},
                {"install the engine's client programs (postgresql, mariadb-client)"});
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto last_report = std::chrono::steady_clock::now();
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) throw Error(ErrorCode::kInternal, "lost the dump process");
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      throw Error(ErrorCode::kDeadlineExceeded, "the dump did not finish in time");
    }
    if (progress && std::chrono::steady_clock::now() - last_report > 2s) {
      std::error_code ec;
      const auto size = fs::file_size(out, ec);
      progress(50, "dumping (" + std::to_string(ec ? 0 : size / (1024 * 1024)) + " MiB so far)");
      last_report = std::chrono::steady_clock::now();
    }
    std::this_thread::sleep_for(50ms);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

std::pair<std::string, std::int64_t> HashFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw Error(ErrorCode::kNotFound, "stored backup " + file.filename().string() + " is missing");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorCode::kInternal, "SHA-256 is unavailable");
  }
  std::array<char, 1 << 16> buffer{};
  std::int64_t total = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = in.gcount();
    if (n <= 0) break;
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(n));
    total += n;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest.data(), &length);
  return {crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(digest.data()), length)),
          total};
}

DumpExecutor::DumpExecutor(DumpExecutorConfig config) : config_(std::move(config)) {}

fs::path DumpExecutor::PathOf(const std::string& storage_key) const {
  const fs::path key(storage_key);
  bool escapes = key.empty() || key.is_absolute();
  for (const auto& part : key) escapes = escapes || part == ".." || part == ".";
  if (escapes) throw Error(ErrorCode::kInvalidArgument, "invalid storage key " + storage_key);
  return config_.dir / key;
}

BackupOutcome DumpExecutor::Run(const BackupRequest& request, const ProgressFn& progress) {
  const auto& t = request.target;
  if (request.type != "logical") {
    throw Error(ErrorCode::kFailedPrecondition,
                request.type + " backups are not available yet; take a logical backup");
  }
  const bool postgres = t.engine == "postgresql";
  if (!postgres && t.engine != "mysql") {
    throw Error(ErrorCode::kInvalidArgument, "unknown engine " + t.engine);
  }
  const std::string key = request.storage_key_prefix + ".sql";
  const auto final_path = PathOf(key);
  fs::create_directories(config_.dir);
  fs::permissions(config_.dir, fs::perms::owner_all, fs::perm_options::replace);
  fs::create_directories(final_path.parent_path());
  const fs::path partial = final_path.string() + ".partial";
  ScratchDir scratch(config_.dir / ".work" / request.backup_id);
  const auto ca = scratch.Path() / "ca.pem";
  WritePrivateFile(ca, t.ca_pem);
  const auto err = scratch.Path() / "tool.log";

  std::vector<std::string> argv;
  std::vector<std::string> env{"PATH=/usr/bin:/bin", "LC_ALL=C"};
  if (postgres) {
    argv = {(config_.postgres_bin_dir / "pg_dumpall").string(),
            "--dbname=host=" + t.host + " port=" + std::to_string(t.port) + " user=" +
                t.admin_user + " dbname=postgres sslmode=verify-full sslrootcert=" + ca.string() +
                " connect_timeout=10",
            "--no-password", "--quote-all-identifiers"};
    env.push_back("PGPASSWORD=" + t.admin_password);
  } else {
    argv = {config_.mariadb_dump.string(),
            "--no-defaults",
            "--host=" + t.host,
            "--port=" + std::to_string(t.port),
            "--user=" + t.admin_user,
            "--ssl",
            "--ssl-ca=" + ca.string(),
            "--ssl-verify-server-cert",
            "--all-databases",
            "--single-transaction",
            "--routines",
            "--events",
            "--triggers",
            "--hex-blob",
            "--default-character-set=utf8mb4"};
    env.push_back("MYSQL_PWD=" + t.admin_password);
  }
  if (progress) progress(0, "dumping");
  int exit_code = 0;
  try {
    exit_code = RunTool(argv, env, partial, err, config_.timeout, progress);
  } catch (...) {
    std::error_code ec;
    fs::remove(partial, ec);
    throw;
  }
  if (exit_code != 0) {
    std::error_code ec;
    fs::remove(partial, ec);
    // The tool's own words help the user (connection refused, permission denied); they never
    // hold the password, which is only in the environment.
    throw Error(ErrorCode::kFailedPrecondition, fs::path(argv[0]).filename().string() +
                                                    " failed (exit " + std::to_string(exit_code) +
                                                    "): " + Tail(err));
  }
  if (progress) progress(90, "computing the checksum");
  auto [checksum, size] = HashFile(partial);
  fs::rename(partial, final_path);
  BackupOutcome outcome;
  outcome.size_bytes = size;
  outcome.stored_bytes = size;
  outcome.checksum = checksum;
  outcome.plaintext_sha256 = checksum;
  outcome.compression = "none";
  outcome.storage_key = key;
  outcome.engine_version = t.version;
  if (progress) progress(100, "stored");
  return outcome;
}

void DumpExecutor::Verify(const BackupRecord& backup) {
  if (!backup.storage_key || !backup.checksum) {
    throw Error(ErrorCode::kFailedPrecondition, "backup " + backup.id + " has no stored object");
  }
  const auto [checksum, size] = HashFile(PathOf(*backup.storage_key));
  if (backup.stored_bytes && *backup.stored_bytes != size) {
    throw Error(ErrorCode::kFailedPrecondition, "stored size " + std::to_string(size) +
                                                    " differs from the recorded " +
                                                    std::to_string(*backup.stored_bytes));
  }
  if (checksum != *backup.checksum) {
    throw Error(ErrorCode::kFailedPrecondition,
                "stored SHA-256 " + checksum + " differs from the recorded " + *backup.checksum);
  }
}

void DumpExecutor::Remove(const std::string& storage_key) {
  const auto path = PathOf(storage_key);
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) throw Error(ErrorCode::kUnavailable, "cannot remove stored backup: " + ec.message());
  fs::remove(fs::path(path.string() + ".partial"), ec);
}

}  // namespace dbaas::backup

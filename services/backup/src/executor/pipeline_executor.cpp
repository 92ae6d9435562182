#include "executor/pipeline_executor.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/engines/backup.hpp"
#include "dbaas/runtime/tool_process.hpp"
#include "pipeline/byte_stream.hpp"
#include "storage/object_store.hpp"

namespace dbaas::backup {
namespace {

namespace fs = std::filesystem;

// The run's CA certificate in a private directory, removed with it.
class Scratch {
 public:
  Scratch(const fs::path& root, const std::string& name, const std::string& ca_pem)
      : dir_(root / name) {
    fs::create_directories(root);
    fs::permissions(root, fs::perms::owner_all, fs::perm_options::replace);
    fs::create_directories(dir_);
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace);
    const auto file = CaFile();
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw Error(ErrorCode::kInternal, "cannot write " + file.string());
    const bool ok = ::write(fd, ca_pem.data(), ca_pem.size()) ==
                    static_cast<ssize_t>(ca_pem.size());
    ::close(fd);
    if (!ok) throw Error(ErrorCode::kInternal, "cannot write " + file.string());
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  fs::path CaFile() const { return dir_ / "ca.pem"; }

 private:
  fs::path dir_;
};

// Counts what the tool produced and reports it every few seconds.
class ProgressSource final : public ByteSource {
 public:
  ProgressSource(ByteSource& inner, const ProgressFn& progress)
      : inner_(inner), progress_(progress) {}
  std::size_t Read(char* data, std::size_t size) override {
    const auto n = inner_.Read(data, size);
    bytes_ += n;
    const auto now = std::chrono::steady_clock::now();
    if (progress_ && now - last_ > std::chrono::seconds(2)) {
      last_ = now;
      progress_(50, "streaming (" + std::to_string(bytes_ / (1024 * 1024)) + " MiB so far)");
    }
    return n;
  }

 private:
  ByteSource& inner_;
  const ProgressFn& progress_;
  std::uint64_t bytes_ = 0;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

std::string Tail(std::string text, std::size_t max = 600) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.size() > max) text = "..." + text.substr(text.size() - max);
  return text;
}

}  // namespace

std::string WalSegmentName(std::uint32_t timeline, const std::string& lsn) {
  const auto slash = lsn.find('/');
  if (slash == std::string::npos || timeline == 0) return {};
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  const auto* begin = lsn.data();
  const auto* end = lsn.data() + lsn.size();
  const auto r1 = std::from_chars(begin, begin + slash, hi, 16);
  const auto r2 = std::from_chars(begin + slash + 1, end, lo, 16);
  if (r1.ec != std::errc() || r1.ptr != begin + slash || r2.ec != std::errc() || r2.ptr != end ||
      hi > 0xFFFFFFFFu || lo > 0xFFFFFFFFu) {
    return {};
  }
  char name[25];
  std::snprintf(name, sizeof name, "%08X%08X%08X", timeline, static_cast<unsigned>(hi),
                static_cast<unsigned>(lo >> 24));  // 16 MiB segments: 256 per 4 GiB
  return name;
}

PipelineExecutor::PipelineExecutor(ObjectStore& store, const crypto::KeyRing& keys,
                                   PipelineExecutorConfig config)
    : store_(store), keys_(keys), config_(std::move(config)) {}

BackupOutcome PipelineExecutor::Run(const BackupRequest& request, const ProgressFn& progress) {
  const auto& t = request.target;
  const auto kind = engines::ParseBackupKind(request.type);
  if (!kind) {
    throw Error(ErrorCode::kInvalidArgument, "unknown backup type '" + request.type + "'", {},
                {"use \"full\" or \"logical\""});
  }
  engines::BackupSource source;
  if (t.engine == "postgresql") {
    source.engine = engines::Engine::kPostgresql;
  } else if (t.engine == "mysql") {
    source.engine = engines::Engine::kMysql;
    if (*kind == engines::BackupKind::kFull) {
      throw Error(ErrorCode::kFailedPrecondition,
                  "full (physical) MySQL backups need the instance's data directory, which the "
                  "backup service cannot reach",
                  {}, {"take a logical backup ({\"type\": \"logical\"})"});
    }
  } else {
    throw Error(ErrorCode::kInvalidArgument, "unknown engine " + t.engine);
  }
  Scratch scratch(config_.scratch_dir, request.backup_id, t.ca_pem);
  source.host = t.host;
  source.port = static_cast<std::uint16_t>(t.port);
  source.admin_user = t.admin_user;
  source.admin_password = t.admin_password;
  source.ca_file = scratch.CaFile().string();
  source.postgres_bin_dir = config_.postgres_bin_dir;
  source.mariadb_bin_dir = config_.mariadb_bin_dir;
  const auto command = engines::BackupCommand(source, *kind);

  const std::string key = request.storage_key_prefix + ".dbk";
  if (progress) progress(5, "starting " + command.argv.front());
  runtime::ToolProcess tool(command);
  FdSource out(tool.Stdout());
  ProgressSource counted(out, progress);
  BackupResult result;
  try {
    result = WriteBackup(counted, store_, key, keys_, config_.options);
  } catch (...) {
    tool.Kill();
    tool.Wait();
    throw;
  }
  const int status = tool.Wait();
  if (status != 0) {
    store_.Delete(key);  // the stream ended early: never keep a partial dump
    throw Error(ErrorCode::kFailedPrecondition,
                tool.Name() + " failed (exit status " + std::to_string(status) +
                    "): " + Tail(tool.Stderr()),
                {}, {"check that the instance is running and reachable, then try again"});
  }

  BackupOutcome outcome;
  outcome.size_bytes = static_cast<std::int64_t>(result.original_bytes);
  outcome.stored_bytes = static_cast<std::int64_t>(result.stored_bytes);
  outcome.checksum = result.stored_sha256;
  outcome.plaintext_sha256 = result.plaintext_sha256;
  outcome.key_id = result.master_key_id;
  outcome.compression = std::string(CompressionName(result.compression));
  outcome.storage_key = key;
  const auto point = engines::ParseBackupLog(source.engine, tool.Stderr());
  if (*kind == engines::BackupKind::kFull && source.engine == engines::Engine::kPostgresql) {
    outcome.log_start = WalSegmentName(point.timeline == 0 ? 1 : point.timeline,
                                       point.wal_start_lsn);
    outcome.log_end = WalSegmentName(point.timeline == 0 ? 1 : point.timeline,
                                     point.wal_end_lsn);
  }
  if (progress) progress(90, "stored " + std::to_string(result.stored_bytes) + " bytes");
  return outcome;
}

void PipelineExecutor::Verify(const BackupRecord& backup) {
  if (!backup.storage_key) {
    throw Error(ErrorCode::kFailedPrecondition, "backup " + backup.id + " has no stored object");
  }
  ExpectedDigests expected;
  expected.stored_sha256 = backup.checksum;
  VerifyBackup(store_, *backup.storage_key, keys_, expected);
}

void PipelineExecutor::Remove(const std::string& storage_key) { store_.Delete(storage_key); }

}  // namespace dbaas::backup

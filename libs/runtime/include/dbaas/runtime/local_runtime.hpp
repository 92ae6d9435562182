#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "dbaas/runtime/runtime.hpp"

namespace dbaas::runtime {

/// Settings of the local runtime.
struct LocalRuntimeConfig {
  /// Holds ca/ (the platform CA) and instances/<id>/{data,log,run,tls}. Every parent must be
  /// traversable by `os_user` (checked, with a clear error).
  std::filesystem::path state_dir;
  std::uint16_t port_min = 15432;
  std::uint16_t port_max = 15999;
  /// The unprivileged account database servers run as when the control plane is root
  /// (created with useradd --system when missing). Ignored when not root.
  std::string os_user = "dbaas-db";
  std::string admin_user = "dbaas_admin";
  std::filesystem::path postgres_bin_dir = "/usr/lib/postgresql/15/bin";
  std::filesystem::path mariadbd = "/usr/sbin/mariadbd";
  std::chrono::seconds start_timeout{60};
  std::chrono::seconds stop_timeout{60};
  /// Bound on restoring a backup (unpacking, WAL replay until promoted, binlog replay).
  std::chrono::seconds restore_timeout{3600};
  /// initdb --no-sync (PostgreSQL): faster creation, for tests and throwaway platforms only.
  bool fast_init = false;
  /// Called with the name of each create step before it runs ("port", "directories", "tls",
  /// "init", "configure", "start", "secure", "finish"); an exception thrown here fails the
  /// create like a real failure of that step. For failure-injection tests; empty in production.
  std::function<void(std::string_view step)> create_hook;
};

/// The `local` runtime: one real postgres / mariadbd process tree per instance on this host,
/// detached (own session) so it outlives the control plane. Keeps nothing only in memory.
class LocalRuntime final : public Runtime {
 public:
  /// Creates state_dir and the CA when missing; resolves (and when root creates) the OS user.
  explicit LocalRuntime(LocalRuntimeConfig config);
  ~LocalRuntime() override;
  LocalRuntime(const LocalRuntime&) = delete;
  LocalRuntime& operator=(const LocalRuntime&) = delete;

  std::string_view Kind() const noexcept override { return "local"; }
  CreatedInstance Create(const InstanceSpec& spec) override;
  void Start(std::string_view id) override;
  void Stop(std::string_view id) override;
  void Restart(std::string_view id) override;
  ConfigChange Resize(std::string_view id, const ResizeSpec& spec) override;
  void Delete(std::string_view id) override;
  InstanceStatus Status(std::string_view id) override;
  std::vector<std::string> List() override;
  std::string ExecAdminSql(std::string_view id, const std::string& admin_password,
                           const std::string& sql) override;
  void Promote(std::string_view id) override;
  CreatedInstance AddReplica(std::string_view id, const std::string& replica_id) override;
  Endpoint GetEndpoint(std::string_view id) override;
  std::unique_ptr<BackupStream> StartBackup(std::string_view id, const std::string& admin_password,
                                            engines::BackupKind kind) override;
  CreatedInstance CreateFromBackup(const InstanceSpec& spec, const RestoreSource& source) override;
  std::vector<engines::BinlogFile> ListBinlogs(std::string_view id,
                                               const std::string& admin_password) override;

  /// The instance's directory (<state_dir>/instances/<id>), whether or not it exists.
  std::filesystem::path InstanceDir(std::string_view id) const;
  /// The CA certificate file clients can use as sslrootcert.
  std::filesystem::path CaFile() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbaas::runtime

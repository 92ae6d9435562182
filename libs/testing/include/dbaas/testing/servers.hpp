#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <chrono>
#include <string>
#include <vector>

/// Throwaway servers for integration tests. Each starts on a free loopback port in a fresh
/// temporary directory, and its destructor stops the server and removes the directory, also
/// when a test fails. When the process runs as root, database servers run as an unprivileged
/// user (`dbaas-test`, created on demand). A missing server binary throws std::runtime_error
/// naming the Debian package to install; tests never skip silently.
/// Server processes get a parent-death signal, so they also go away when the test binary
/// crashes; it is bound to the creating thread, so create a fixture on a thread that outlives it.
/// Fixtures are not thread-safe; their servers are.
namespace dbaas::testing {

/// A free TCP port on 127.0.0.1 (bound then released; a small race is possible).
std::uint16_t FreePort();

/// A PostgreSQL 15 cluster (initdb + pg_ctl) with trust auth on 127.0.0.1.
class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  std::uint16_t Port() const noexcept;
  /// URI for the superuser `postgres` on database `db` (default "postgres").
  std::string Uri(const std::string& db = "postgres") const;
  /// Creates a database (and a login role of the same name owning it); returns its URI as that role.
  std::string CreateDatabase(const std::string& name);
  /// Runs SQL through `psql` as `postgres` on `db`; returns the rows tab-separated, one per
  /// line, without headers. Throws std::runtime_error with psql's message on failure.
  std::string Query(const std::string& sql, const std::string& db = "postgres") const;
  /// Stops and starts the server on the same port and data (for reconnect tests).
  void Restart();
  void Stop();
  void Start();
  /// False after Stop() or when the server died.
  bool Running();
  const std::filesystem::path& DataDir() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A MariaDB 10.11 server (mariadb-install-db + mariadbd) on 127.0.0.1 with root password-less.
class MariaDbServer {
 public:
  MariaDbServer();
  ~MariaDbServer();
  MariaDbServer(const MariaDbServer&) = delete;
  MariaDbServer& operator=(const MariaDbServer&) = delete;

  std::uint16_t Port() const noexcept;
  std::string SocketPath() const;
  /// Runs SQL through the `mariadb` client as root; returns its tab-separated output
  /// (no column names). Throws std::runtime_error with the client's message on failure.
  std::string Query(const std::string& sql) const;
  /// Stops / starts the server on the same port and data.
  void Restart();
  void Stop();
  void Start();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A nats-server with JetStream (file storage in its temporary directory).
class NatsServer {
 public:
  NatsServer();
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  std::uint16_t Port() const noexcept;
  /// "nats://127.0.0.1:<port>".
  std::string Url() const;
  /// Stops the server (JetStream data kept) / starts it again on the same port and data.
  void Stop();
  void Start();
  /// The temporary directory holding the JetStream store; removed on destruction.
  const std::filesystem::path& Dir() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// An OpenLDAP slapd (mdb backend) serving `dc=example,dc=org` on ldap://127.0.0.1:<port>,
/// with the core, cosine, inetorgperson and nis schemas and the organisational units
/// `ou=people` and `ou=groups`. The directory manager is RootDn() / RootPassword(). Changes go
/// through ldapadd/ldapmodify (Debian package ldap-utils); the server is Debian package slapd.
class LdapServer {
 public:
  LdapServer();
  ~LdapServer();
  LdapServer(const LdapServer&) = delete;
  LdapServer& operator=(const LdapServer&) = delete;

  std::uint16_t Port() const noexcept;
  /// "ldap://127.0.0.1:<port>".
  std::string Url() const;
  /// "dc=example,dc=org".
  static std::string BaseDn();
  /// "cn=admin,dc=example,dc=org".
  static std::string RootDn();
  static std::string RootPassword();
  /// Adds an inetOrgPerson `uid=<uid>,ou=people,<base>` with a cleartext userPassword; returns
  /// its DN. `uid` must be a plain name ([A-Za-z0-9._-]).
  std::string AddUser(const std::string& uid, const std::string& password);
  /// Adds a groupOfNames `cn=<cn>,ou=groups,<base>` with these member DNs (at least one, as the
  /// schema requires); returns its DN.
  std::string AddGroup(const std::string& cn, const std::vector<std::string>& member_dns);
  void AddMember(const std::string& group_dn, const std::string& member_dn);
  void RemoveMember(const std::string& group_dn, const std::string& member_dn);
  /// Applies LDIF with ldapadd (`add` true) or ldapmodify as the directory manager. Throws
  /// std::runtime_error with the tool's message on failure.
  void Apply(const std::string& ldif, bool add);
  /// Stops the server (data kept) / starts it again on the same port and data.
  void Stop();
  void Start();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A child process started with argv, its output sent to `log_file`; killed (SIGTERM, then
/// SIGKILL after 5 s) on destruction. For tests that run our own service binaries.
/// argv[0] is looked up in PATH unless it contains '/'. `env_overrides` holds "KEY=VALUE"
/// (set or replace) or "KEY" (remove) applied to this process's environment. The child gets
/// SIGTERM when the test binary dies.
class Process {
 public:
  Process(std::vector<std::string> argv, std::vector<std::string> env_overrides,
          const std::filesystem::path& log_file);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  int Pid() const noexcept;
  bool Running();
  /// Sends SIGTERM and waits up to `timeout` for exit; returns the exit code (128 + signal
  /// when killed by one), or -1 when it is still running after `timeout`.
  int Terminate(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void Kill();

 private:
  int pid_ = -1;
  int status_ = -1;
  bool reaped_ = false;
};

/// Polls `url` with plain HTTP GET until it answers `expected_status` or `timeout` passes.
bool WaitForHttp(const std::string& host, std::uint16_t port, const std::string& path,
                 int expected_status, std::chrono::milliseconds timeout);

}  // namespace dbaas::testing

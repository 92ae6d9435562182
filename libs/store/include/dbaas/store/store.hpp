#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/common/error.hpp"
#include "dbaas/store/migration.hpp"

/// PostgreSQL access for services. No libpqxx type appears in this header: repositories speak
/// SQL with positional parameters ($1, $2 ...) and read rows as text, which keeps pqxx's heavy
/// headers out of every service translation unit.
namespace dbaas::store {

/// A query parameter: a value sent as text, or SQL NULL.
using Param = std::optional<std::string>;
using Params = std::vector<Param>;

/// One row of a result; values are PostgreSQL's text form (booleans "t"/"f").
class Row {
 public:
  Row(std::vector<std::string> names, std::vector<Param> values);
  /// Rows of one result share their column names.
  Row(std::shared_ptr<const std::vector<std::string>> names, std::vector<Param> values);
  std::size_t Size() const noexcept { return values_.size(); }
  bool IsNull(std::size_t column) const;
  /// The value of a column by index or name; throws Error{INTERNAL} when NULL or unknown.
  const std::string& Get(std::size_t column) const;
  const std::string& Get(std::string_view name) const;
  /// The value or nullopt for NULL; throws Error{INTERNAL} for an unknown column.
  const Param& Optional(std::string_view name) const;
  /// A 64-bit integer column; throws Error{INTERNAL} when NULL or not an integer.
  std::int64_t GetInt(std::string_view name) const;
  /// A boolean column ("t"/"f"); throws Error{INTERNAL} when NULL or not a boolean.
  bool GetBool(std::string_view name) const;
  /// Column names, in result order.
  const std::vector<std::string>& Names() const noexcept { return *names_; }

 private:
  std::size_t Index(std::string_view name) const;
  std::shared_ptr<const std::vector<std::string>> names_;
  std::vector<Param> values_;
  friend class Result;
};

/// Rows returned by a statement, plus the number of rows it affected.
class Result {
 public:
  Result() = default;
  Result(std::vector<Row> rows, std::int64_t affected) : rows_(std::move(rows)), affected_(affected) {}
  bool Empty() const noexcept { return rows_.empty(); }
  std::size_t Size() const noexcept { return rows_.size(); }
  const Row& operator[](std::size_t i) const { return rows_.at(i); }
  std::int64_t Affected() const noexcept { return affected_; }
  auto begin() const { return rows_.begin(); }
  auto end() const { return rows_.end(); }

 private:
  std::vector<Row> rows_;
  std::int64_t affected_ = 0;
};

/// An open transaction. Only valid inside Pool::InTransaction's callback; not thread-safe.
class Tx {
 public:
  virtual ~Tx() = default;
  /// Runs one statement with $n parameters (extended protocol: exactly one statement, values
  /// never spliced into SQL; a parameter holding a NUL byte is INVALID_ARGUMENT).
  /// Database errors become dbaas::Error:
  /// unique violation -> ALREADY_EXISTS, foreign key / check violation -> FAILED_PRECONDITION,
  /// serialization failure / deadlock -> ABORTED (InTransaction retries these),
  /// not-null violation -> FAILED_PRECONDITION, statement timeout -> DEADLINE_EXCEEDED,
  /// connection loss -> UNAVAILABLE, anything else -> INTERNAL (logged, text not exposed).
  /// After a failed statement the transaction is aborted: InTransaction rethrows that error
  /// instead of committing even when the callback swallowed it.
  virtual Result Exec(std::string_view sql, const Params& params = {}) = 0;
};

struct PoolConfig {
  /// libpq connection string or URI, e.g. "postgresql://svc@127.0.0.1:5432/svc".
  std::string dsn;
  std::size_t size = 8;
  /// How long Acquire waits for a free connection before UNAVAILABLE.
  std::chrono::milliseconds acquire_timeout{5000};
  /// Per-statement timeout set on every connection (statement_timeout).
  std::chrono::milliseconds statement_timeout{30000};
  /// Name reported in pg_stat_activity.application_name.
  std::string application_name = "dbaas";
};

/// A bounded pool of PostgreSQL connections. Connections are opened lazily, checked before use
/// after sitting idle, and replaced when broken, so the pool recovers by itself after a
/// database restart. Thread-safe.
class Pool {
 public:
  explicit Pool(PoolConfig config);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// Runs `fn` in a transaction and commits; rolls back when `fn` throws (the exception
  /// propagates). Retries the whole callback up to 3 times on ABORTED (serialization failure
  /// or deadlock), so `fn` must have no side effects outside the transaction.
  void InTransaction(const std::function<void(Tx&)>& fn);
  /// One statement in its own transaction.
  Result Exec(std::string_view sql, const Params& params = {});
  /// True when a connection can run `SELECT 1` right now (for /readyz).
  bool Ping();
  /// Connections open / in use, for metrics.
  std::size_t OpenConnections() const;
  std::size_t BusyConnections() const;
  const PoolConfig& Config() const noexcept { return config_; }

 private:
  struct Impl;
  PoolConfig config_;
  std::unique_ptr<Impl> impl_;
};

/// Applies `migrations` (ascending versions) of `component` that are not yet recorded in
/// table `schema_migrations(component, version, name, checksum, applied_at)`, each in its own
/// transaction, under a PostgreSQL advisory lock so concurrent starts apply each exactly once.
/// Throws Error{FAILED_PRECONDITION} when an applied migration's checksum changed (nothing is
/// applied then). A migration's SQL may hold several statements and runs without the pool's
/// statement_timeout; statements that cannot run inside a transaction (CREATE INDEX
/// CONCURRENTLY) are not supported. Returns the number applied by this call.
int Migrate(Pool& pool, std::string_view component, std::span<const Migration> migrations);

/// `dsn` with any password replaced by "***" (URI user-info, `password=` keyword or query
/// parameter), for logs and error messages.
std::string RedactDsn(std::string_view dsn);

}  // namespace dbaas::store

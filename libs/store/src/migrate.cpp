#include <chrono>
#include <map>
#include <string>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/store/store.hpp"
#include "tx_impl.hpp"

namespace dbaas::store {
namespace {

/// Serialises creation of schema_migrations across all components sharing a database.
constexpr std::int64_t kTableLockKey = 0x6462616173'6d6967;  // "dbaasmig"

constexpr std::string_view kCreateTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  component  text        NOT NULL,
  version    integer     NOT NULL,
  name       text        NOT NULL,
  checksum   text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (component, version)
))sql";

/// A stable advisory-lock key per component: the first 8 bytes of SHA-256 of its name.
std::int64_t ComponentLockKey(std::string_view component) {
  const std::string digest = crypto::Sha256("dbaas.migrate." + std::string(component));
  std::uint64_t key = 0;
  for (int i = 0; i < 8; ++i) key = (key << 8) | static_cast<unsigned char>(digest[i]);
  return static_cast<std::int64_t>(key);
}

void ValidateOrder(std::string_view component, std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version <= 0 || (i > 0 && migrations[i].version <= migrations[i - 1].version)) {
      throw Error(ErrorCode::kInternal, "migrations of " + std::string(component) +
                                            " must have positive, strictly ascending versions");
    }
  }
}

}  // namespace

int Migrate(Pool& pool, std::string_view component, std::span<const Migration> migrations) {
  ValidateOrder(component, migrations);
  const std::string component_name(component);
  const std::string lock_key = std::to_string(ComponentLockKey(component));

  pool.InTransaction([&](Tx& tx) {
    tx.Exec("SELECT pg_advisory_xact_lock($1)", {std::to_string(kTableLockKey)});
    tx.Exec(kCreateTable);
  });

  int applied = 0;
  for (;;) {
    bool done = false;
    // One transaction per migration, each under the component's lock and re-reading what is
    // applied, so concurrent starters apply every version exactly once between them.
    pool.InTransaction([&](Tx& tx) {
      // Schema changes on large tables and waiting for another starter's migration may both
      // outlast the pool's statement_timeout; SET LOCAL ends with this transaction.
      tx.Exec("SET LOCAL statement_timeout = 0");
      tx.Exec("SELECT pg_advisory_xact_lock($1)", {lock_key});
      std::map<int, std::string> recorded;
      for (const auto& row :
           tx.Exec("SELECT version, checksum FROM schema_migrations WHERE component = $1",
                   {component_name})) {
        recorded.emplace(static_cast<int>(row.GetInt("version")), row.Get("checksum"));
      }
      const Migration* next = nullptr;
      for (const auto& m : migrations) {
        const auto found = recorded.find(m.version);
        if (found == recorded.end()) {
          if (next == nullptr) next = &m;
          continue;
        }
        if (found->second != crypto::Sha256Hex(m.sql)) {
          throw Error(ErrorCode::kFailedPrecondition,
                      "migration " + std::to_string(m.version) + " (" + std::string(m.name) +
                          ") of " + component_name +
                          " was changed after it was applied: checksum mismatch");
        }
      }
      if (next == nullptr) {
        done = true;
        return;
      }
      const auto start = std::chrono::steady_clock::now();
      dynamic_cast<internal::TxImpl&>(tx).ExecScript(next->sql);
      tx.Exec(
          "INSERT INTO schema_migrations (component, version, name, checksum, applied_at) "
          "VALUES ($1, $2, $3, $4, now())",
          {component_name, std::to_string(next->version), std::string(next->name),
           crypto::Sha256Hex(next->sql)});
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
      log::Info("applied migration", {{"component", component_name},
                                      {"version", next->version},
                                      {"name", next->name},
                                      {"duration_ms", static_cast<std::int64_t>(ms)}});
    });
    if (done) return applied;
    ++applied;
  }
}

}  // namespace dbaas::store

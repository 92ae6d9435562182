#pragma once

#include <pqxx/transaction>

#include <optional>
#include <string_view>

#include "dbaas/common/error.hpp"
#include "dbaas/store/store.hpp"

namespace dbaas::store::internal {

/// Tx over one pqxx::work. Remembers the first failed statement so the transaction is never
/// committed after PostgreSQL aborted it.
class TxImpl final : public Tx {
 public:
  explicit TxImpl(pqxx::work& work) : work_(work) {}

  Result Exec(std::string_view sql, const Params& params = {}) override;
  /// Runs a script of several statements (simple query protocol, no parameters). Only for
  /// trusted SQL compiled into the binary, i.e. migrations.
  void ExecScript(std::string_view sql);
  /// Throws the error of the first failed statement, if any.
  void ThrowIfFailed() const;

 private:
  pqxx::work& work_;
  std::optional<Error> failure_;
};

}  // namespace dbaas::store::internal

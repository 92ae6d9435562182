#include "error_mapping.hpp"

#include <pqxx/except>

#include <string>

#include "dbaas/common/log.hpp"

namespace dbaas::store::internal {
namespace {

constexpr std::size_t kMaxLoggedSql = 2000;

/// The first double-quoted identifier after `marker` in `text`, or "".
std::string QuotedAfter(std::string_view text, std::string_view marker) {
  const auto at = text.find(marker);
  if (at == std::string_view::npos) return "";
  const auto open = text.find('"', at + marker.size());
  if (open == std::string_view::npos) return "";
  const auto close = text.find('"', open + 1);
  if (close == std::string_view::npos) return "";
  return std::string(text.substr(open + 1, close - open - 1));
}

std::string FirstLine(std::string_view text) {
  const auto nl = text.find('\n');
  return std::string(nl == std::string_view::npos ? text : text.substr(0, nl));
}

std::string_view Truncated(std::string_view sql) { return sql.substr(0, kMaxLoggedSql); }

Error Internal(std::string_view kind, std::string_view sqlstate, std::string_view what,
               std::string_view sql) {
  log::Error("database error", {{"kind", kind},
                                {"sqlstate", sqlstate},
                                {"error", FirstLine(what)},
                                {"sql", Truncated(sql)}});
  return Error(ErrorCode::kInternal, "internal database error");
}

Error Unavailable(std::string_view what, std::string_view sql) {
  log::Warn("database connection lost", {{"error", FirstLine(what)}, {"sql", Truncated(sql)}});
  return Error(ErrorCode::kUnavailable, "database unavailable: connection lost");
}

Error FromSqlState(const std::string& state, std::string_view what, std::string_view sql) {
  if (state == "23505") return Error(ErrorCode::kAlreadyExists, ConstraintMessage(state, what));
  if (state == "23503" || state == "23514" || state == "23502") {
    return Error(ErrorCode::kFailedPrecondition, ConstraintMessage(state, what));
  }
  if (state == "40001" || state == "40P01") {
    return Error(ErrorCode::kAborted, "transaction aborted by a concurrent update; retry");
  }
  if (state == "57014") {
    return Error(ErrorCode::kDeadlineExceeded, "database statement timed out");
  }
  if (state == "55P03") {
    return Error(ErrorCode::kDeadlineExceeded, "database lock wait timed out");
  }
  // Class 08 is connection exceptions; 57P01-57P03 are server shutdown / start-up.
  if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03" ||
      state == "53300") {
    return Unavailable(what, sql);
  }
  return Internal("sql_error", state, what, sql);
}

}  // namespace

std::string ConstraintMessage(std::string_view sqlstate, std::string_view db_message) {
  const std::string constraint = QuotedAfter(db_message, "constraint ");
  if (sqlstate == "23505") {
    return "already exists: unique constraint \"" + constraint + "\" violated";
  }
  if (sqlstate == "23503") {
    return "foreign key constraint \"" + constraint + "\" violated";
  }
  if (sqlstate == "23514") {
    return "check constraint \"" + constraint + "\" violated";
  }
  if (sqlstate == "23502") {
    return "not-null constraint violated: column \"" + QuotedAfter(db_message, "column ") + "\"";
  }
  return "constraint violated";
}

Error TranslateCurrentException(std::string_view sql) {
  try {
    throw;
  } catch (const Error& e) {
    return e;
  } catch (const pqxx::broken_connection& e) {
    return Unavailable(e.what(), sql);
  } catch (const pqxx::serialization_failure&) {
    return Error(ErrorCode::kAborted, "transaction aborted by a concurrent update; retry");
  } catch (const pqxx::deadlock_detected&) {
    return Error(ErrorCode::kAborted, "transaction aborted by a deadlock; retry");
  } catch (const pqxx::statement_completion_unknown& e) {
    // The connection died mid-statement; whether it took effect is unknown.
    return Unavailable(e.what(), sql);
  } catch (const pqxx::transaction_rollback&) {
    return Error(ErrorCode::kAborted, "transaction rolled back by the database; retry");
  } catch (const pqxx::in_doubt_error& e) {
    log::Error("database commit outcome unknown", {{"error", FirstLine(e.what())}});
    return Error(ErrorCode::kUnavailable,
                 "database unavailable: connection lost during commit; outcome unknown");
  } catch (const pqxx::sql_error& e) {
    return FromSqlState(e.sqlstate(), e.what(), sql);
  } catch (const pqxx::usage_error& e) {
    return Internal("usage_error", "", e.what(), sql);
  } catch (const pqxx::failure& e) {
    return Internal("failure", "", e.what(), sql);
  } catch (const std::exception& e) {
    return Internal("exception", "", e.what(), sql);
  }
}

}  // namespace dbaas::store::internal

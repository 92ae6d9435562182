#pragma once

#include <string_view>

#include "dbaas/common/error.hpp"

namespace dbaas::store::internal {

/// Translates the exception being handled (call only inside a catch block) into dbaas::Error
/// following the SQLSTATE table in store.hpp. `sql` is logged for INTERNAL errors; parameter
/// values never are, since they may hold secrets. A dbaas::Error passes through unchanged.
Error TranslateCurrentException(std::string_view sql);

/// A serialization failure or deadlock reported by the database. Pool::InTransaction retries
/// exactly these; an ABORTED Error thrown by caller code (e.g. an ETag mismatch) is not one.
class DatabaseAbort : public Error {
 public:
  explicit DatabaseAbort(const Error& e) : Error(e) {}
};

/// Throws `e`, as a DatabaseAbort when it is ABORTED.
[[noreturn]] inline void ThrowMapped(const Error& e) {
  if (e.Code() == ErrorCode::kAborted) throw DatabaseAbort(e);
  throw e;
}

/// The message of an ALREADY_EXISTS / FAILED_PRECONDITION error for a constraint violation.
/// `db_message` is PostgreSQL's primary message; only identifiers are copied from it, never
/// the offending values (the DETAIL line), which may be personal data.
std::string ConstraintMessage(std::string_view sqlstate, std::string_view db_message);

}  // namespace dbaas::store::internal

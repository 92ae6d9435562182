#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dbaas {

/// Stable, client-visible error codes. The upper-case names are the API contract; never rename.
enum class ErrorCode {
  kInvalidArgument,
  kUnauthenticated,
  kPermissionDenied,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kResourceExhausted,
  kUnavailable,
  kDeadlineExceeded,
  kInternal,
  kMethodNotAllowed,
  kPayloadTooLarge,
  kUnsupportedMediaType,
  kAborted,
};

/// The upper-case wire name of a code, e.g. "INVALID_ARGUMENT".
std::string_view ErrorCodeName(ErrorCode code) noexcept;
/// The HTTP status a code maps to (INVALID_ARGUMENT -> 400, NOT_FOUND -> 404, ...).
int HttpStatus(ErrorCode code) noexcept;
/// The code for a wire name; throws nothing, returns kInternal for an unknown name.
ErrorCode ErrorCodeFromName(std::string_view name) noexcept;

/// One problem with one field of a request: `{"field": "...", "issue": "..."}` in `details`.
struct FieldViolation {
  std::string field;
  std::string issue;
  bool operator==(const FieldViolation&) const = default;
};

/// The one exception type domain code throws. The HTTP error middleware turns it into the
/// standard error body; `message` is shown to clients, so it must not hold secrets.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message, std::vector<FieldViolation> details = {},
        std::vector<std::string> suggestions = {});

  ErrorCode Code() const noexcept { return code_; }
  const std::vector<FieldViolation>& Details() const noexcept { return details_; }
  const std::vector<std::string>& Suggestions() const noexcept { return suggestions_; }

 private:
  ErrorCode code_;
  std::vector<FieldViolation> details_;
  std::vector<std::string> suggestions_;
};

}  // namespace dbaas

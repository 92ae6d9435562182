#include "exit_code.hpp"

namespace dbaas::ctl {

ExitCode ExitCodeForStatus(int status) noexcept {
  if (status >= 200 && status < 300) return ExitCode::kOk;
  switch (status) {
    case 401:
    case 403:
      return ExitCode::kUnauthenticated;
    case 404:
      return ExitCode::kNotFound;
    case 409:
    case 412:
      return ExitCode::kConflict;
    // Rate limited and request timeout: try again later, like a 503.
    case 408:
    case 429:
      return ExitCode::kUnavailable;
    default:
      break;
  }
  if (status >= 500) return ExitCode::kUnavailable;
  return ExitCode::kApiError;
}

ExitCode ExitCodeForError(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kUnavailable:
    case ErrorCode::kDeadlineExceeded:
    case ErrorCode::kInternal:
    case ErrorCode::kResourceExhausted:
      return ExitCode::kUnavailable;
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied:
      return ExitCode::kUnauthenticated;
    case ErrorCode::kNotFound:
      return ExitCode::kNotFound;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kAborted:
      return ExitCode::kConflict;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kMethodNotAllowed:
    case ErrorCode::kPayloadTooLarge:
    case ErrorCode::kUnsupportedMediaType:
      return ExitCode::kApiError;
  }
  return ExitCode::kApiError;
}

}  // namespace dbaas::ctl

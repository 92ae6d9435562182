#include "dbaas/common/error.hpp"

#include <array>
#include <utility>

namespace dbaas {
namespace {

struct CodeInfo {
  ErrorCode code;
  std::string_view name;
  int status;
};

constexpr std::array kCodes{
    CodeInfo{ErrorCode::kInvalidArgument, "INVALID_ARGUMENT", 400},
    CodeInfo{ErrorCode::kUnauthenticated, "UNAUTHENTICATED", 401},
    CodeInfo{ErrorCode::kPermissionDenied, "PERMISSION_DENIED", 403},
    CodeInfo{ErrorCode::kNotFound, "NOT_FOUND", 404},
    CodeInfo{ErrorCode::kAlreadyExists, "ALREADY_EXISTS", 409},
    CodeInfo{ErrorCode::kFailedPrecondition, "FAILED_PRECONDITION", 409},
    CodeInfo{ErrorCode::kResourceExhausted, "RESOURCE_EXHAUSTED", 429},
    CodeInfo{ErrorCode::kUnavailable, "UNAVAILABLE", 503},
    CodeInfo{ErrorCode::kDeadlineExceeded, "DEADLINE_EXCEEDED", 504},
    CodeInfo{ErrorCode::kInternal, "INTERNAL", 500},
    CodeInfo{ErrorCode::kMethodNotAllowed, "METHOD_NOT_ALLOWED", 405},
    CodeInfo{ErrorCode::kPayloadTooLarge, "PAYLOAD_TOO_LARGE", 413},
    CodeInfo{ErrorCode::kUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", 415},
    CodeInfo{ErrorCode::kAborted, "ABORTED", 412},
};

const CodeInfo& Info(ErrorCode code) noexcept {
  for (const auto& info : kCodes) {
    if (info.code == code) return info;
  }
  return kCodes[9];  // INTERNAL
}

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) noexcept { return Info(code).name; }

int HttpStatus(ErrorCode code) noexcept { return Info(code).status; }

ErrorCode ErrorCodeFromName(std::string_view name) noexcept {
  for (const auto& info : kCodes) {
    if (info.name == name) return info.code;
  }
  return ErrorCode::kInternal;
}

Error::Error(ErrorCode code, std::string message, std::vector<FieldViolation> details,
             std::vector<std::string> suggestions)
    : std::runtime_error(std::move(message)),
      code_(code),
      details_(std::move(details)),
      suggestions_(std::move(suggestions)) {}

}  // namespace dbaas

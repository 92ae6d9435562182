#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dbaas/common/error.hpp"
#include "exit_code.hpp"

namespace dbaas::ctl {

/// A non-2xx answer of the API, read from the standard error body
/// `{"error":{"code","message","details","suggestions"},"request_id","timestamp"}`.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, std::string message,
           std::vector<FieldViolation> details = {}, std::vector<std::string> suggestions = {},
           std::string request_id = {});

  int Status() const noexcept { return status_; }
  /// The upper-case code, e.g. "NOT_FOUND"; "HTTP_<status>" when the body had none.
  const std::string& Code() const noexcept { return code_; }
  const std::string& Message() const noexcept { return message_; }
  const std::vector<FieldViolation>& Details() const noexcept { return details_; }
  const std::vector<std::string>& Suggestions() const noexcept { return suggestions_; }
  const std::string& RequestId() const noexcept { return request_id_; }
  ExitCode Exit() const noexcept { return ExitCodeForStatus(status_); }

 private:
  int status_;
  std::string code_;
  std::string message_;
  std::vector<FieldViolation> details_;
  std::vector<std::string> suggestions_;
  std::string request_id_;
};

/// Reads an error answer; a body that is not the standard error (HTML from a proxy, empty)
/// still gives an ApiError naming the status and the first line of the body.
ApiError ParseApiError(int status, std::string_view body);

/// The error as people read it, for stderr, ending with a newline:
///   error: NOT_FOUND (HTTP 404): instance ins_x not found
///     size: must be one of micro, small, ...
///     hint: ...
///     request id: req_...
std::string FormatApiError(const ApiError& error);

}  // namespace dbaas::ctl

#include "exit_code.hpp"

#include <gtest/gtest.h>

#include "api_error.hpp"

namespace dbaas::ctl {
namespace {

TEST(ExitCodeForStatus, MapsStatusesToTheDocumentedCodes) {
  EXPECT_EQ(ExitCodeForStatus(200), ExitCode::kOk);
  EXPECT_EQ(ExitCodeForStatus(202), ExitCode::kOk);
  EXPECT_EQ(ExitCodeForStatus(400), ExitCode::kApiError);
  EXPECT_EQ(ExitCodeForStatus(422), ExitCode::kApiError);
  EXPECT_EQ(ExitCodeForStatus(401), ExitCode::kUnauthenticated);
  EXPECT_EQ(ExitCodeForStatus(403), ExitCode::kUnauthenticated);
  EXPECT_EQ(ExitCodeForStatus(404), ExitCode::kNotFound);
  EXPECT_EQ(ExitCodeForStatus(409), ExitCode::kConflict);
  EXPECT_EQ(ExitCodeForStatus(412), ExitCode::kConflict);
  EXPECT_EQ(ExitCodeForStatus(429), ExitCode::kUnavailable);
  EXPECT_EQ(ExitCodeForStatus(500), ExitCode::kUnavailable);
  EXPECT_EQ(ExitCodeForStatus(503), ExitCode::kUnavailable);
  EXPECT_EQ(static_cast<int>(ExitCode::kOperationFailed), 7);
  EXPECT_EQ(static_cast<int>(ExitCode::kUsage), 2);
}

TEST(ExitCodeForError, ClientSideFailuresAreUnavailable) {
  EXPECT_EQ(ExitCodeForError(ErrorCode::kUnavailable), ExitCode::kUnavailable);
  EXPECT_EQ(ExitCodeForError(ErrorCode::kDeadlineExceeded), ExitCode::kUnavailable);
  EXPECT_EQ(ExitCodeForError(ErrorCode::kNotFound), ExitCode::kNotFound);
}

TEST(ParseApiError, ReadsTheStandardErrorBody) {
  const auto e = ParseApiError(400, R"({"error":{"code":"INVALID_ARGUMENT",
      "message":"the instance request is invalid",
      "details":[{"field":"size","issue":"must be one of micro, small"}],
      "suggestions":["see GET /v1/instance-sizes"]},
      "request_id":"req_1","timestamp":"2026-01-01T00:00:00Z"})");
  EXPECT_EQ(e.Status(), 400);
  EXPECT_EQ(e.Code(), "INVALID_ARGUMENT");
  EXPECT_EQ(e.Exit(), ExitCode::kApiError);
  ASSERT_EQ(e.Details().size(), 1u);
  EXPECT_EQ(e.Details()[0].field, "size");
  EXPECT_EQ(FormatApiError(e),
            "error: INVALID_ARGUMENT (HTTP 400): the instance request is invalid\n"
            "  size: must be one of micro, small\n"
            "  hint: see GET /v1/instance-sizes\n"
            "  request id: req_1\n");
}

TEST(ParseApiError, SurvivesABodyThatIsNotTheStandardError) {
  const auto html = ParseApiError(502, "<html>Bad Gateway</html>\nmore");
  EXPECT_EQ(html.Code(), "HTTP_502");
  EXPECT_EQ(html.Message(), "<html>Bad Gateway</html>");
  EXPECT_EQ(html.Exit(), ExitCode::kUnavailable);
  const auto empty = ParseApiError(404, "");
  EXPECT_EQ(FormatApiError(empty), "error: HTTP_404 (HTTP 404): the server answered HTTP 404\n");
  EXPECT_EQ(empty.Exit(), ExitCode::kNotFound);
}

}  // namespace
}  // namespace dbaas::ctl

#include "dbaas/common/error.hpp"

#include <gtest/gtest.h>

namespace dbaas {
namespace {

TEST(ErrorCodes, MapToHttpStatuses) {
  EXPECT_EQ(HttpStatus(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatus(ErrorCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatus(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatus(ErrorCode::kMethodNotAllowed), 405);
  EXPECT_EQ(HttpStatus(ErrorCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatus(ErrorCode::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatus(ErrorCode::kAborted), 412);
  EXPECT_EQ(HttpStatus(ErrorCode::kPayloadTooLarge), 413);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnsupportedMediaType), 415);
  EXPECT_EQ(HttpStatus(ErrorCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatus(ErrorCode::kInternal), 500);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatus(ErrorCode::kDeadlineExceeded), 504);
}

TEST(ErrorCodes, NamesRoundTrip) {
  for (auto code : {ErrorCode::kInvalidArgument, ErrorCode::kUnauthenticated,
                    ErrorCode::kPermissionDenied, ErrorCode::kNotFound, ErrorCode::kAlreadyExists,
                    ErrorCode::kFailedPrecondition, ErrorCode::kResourceExhausted,
                    ErrorCode::kUnavailable, ErrorCode::kDeadlineExceeded, ErrorCode::kInternal,
                    ErrorCode::kMethodNotAllowed, ErrorCode::kPayloadTooLarge,
                    ErrorCode::kUnsupportedMediaType, ErrorCode::kAborted}) {
    EXPECT_EQ(ErrorCodeFromName(ErrorCodeName(code)), code) << ErrorCodeName(code);
  }
  EXPECT_EQ(ErrorCodeName(ErrorCode::kInvalidArgument), "INVALID_ARGUMENT");
  EXPECT_EQ(ErrorCodeFromName("NO_SUCH_CODE"), ErrorCode::kInternal);
}

TEST(Error, CarriesDetailsAndSuggestions) {
  Error e(ErrorCode::kInvalidArgument, "bad", {{"name", "is required"}}, {"set name"});
  EXPECT_STREQ(e.what(), "bad");
  EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
  ASSERT_EQ(e.Details().size(), 1U);
  EXPECT_EQ(e.Details()[0], (FieldViolation{"name", "is required"}));
  EXPECT_EQ(e.Suggestions(), std::vector<std::string>{"set name"});
}

}  // namespace
}  // namespace dbaas

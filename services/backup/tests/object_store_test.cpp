#include <gtest/gtest.h>

#include "dbaas/common/error.hpp"
#include "storage/object_store.hpp"

namespace dbaas::backup {
namespace {

ErrorCode CodeOf(std::string_view key) {
  try {
    ValidateObjectKey(key);
  } catch (const Error& e) {
    return e.Code();
  }
  return ErrorCode::kAborted;  // "accepted"
}

TEST(ObjectKey, AcceptsRelativeKeys) {
  EXPECT_NO_THROW(ValidateObjectKey("ins_1/bak_2.dbk"));
  EXPECT_NO_THROW(ValidateObjectKey("a"));
  EXPECT_NO_THROW(ValidateObjectKey("wal/0000000100000000000000A1.dbk"));
}

TEST(ObjectKey, RefusesEscapesAbsolutePathsAndOddCharacters) {
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", ".hidden",
                          "a/.incoming/x", "a b", "a\\b", "a\nb", "a?b"}) {
    EXPECT_EQ(CodeOf(bad), ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(CodeOf(std::string(513, 'a')), ErrorCode::kInvalidArgument);
}

TEST(ObjectKey, MessageSaysWhatIsWrong) {
  try {
    ValidateObjectKey("a/../b");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'..'"), std::string::npos) << e.what();
  }
}

TEST(ObjectKey, PrefixesMayBeEmptyOrEndWithSlash) {
  EXPECT_NO_THROW(ValidateKeyPrefix(""));
  EXPECT_NO_THROW(ValidateKeyPrefix("ins_1/"));
  EXPECT_THROW(ValidateKeyPrefix("../"), Error);
}

}  // namespace
}  // namespace dbaas::backup

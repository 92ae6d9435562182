#include "domain/idempotency.hpp"

#include <gtest/gtest.h>

#include <map>
#include <utility>

#include "dbaas/common/error.hpp"

namespace dbaas::access_control {
namespace {

class MemoryKeys final : public IdempotencyKeys {
 public:
  std::optional<IdempotentCreate> Find(const std::string& scope, const std::string& key) override {
    auto it = records_.find({scope, key});
    if (it == records_.end()) return std::nullopt;
    return it->second;
  }
  void Record(const IdempotencyRecord& record, const std::string& resource_id) {
    records_[{record.scope, record.key}] = {resource_id, record.request_hash};
  }

 private:
  std::map<std::pair<std::string, std::string>, IdempotentCreate> records_;
};

auth::Identity Caller(const std::string& subject) {
  auth::Identity identity;
  identity.subject = subject;
  return identity;
}

TEST(Idempotency, FingerprintSeparatesFieldBoundaries) {
  EXPECT_NE(RequestFingerprint({"ab", "c"}), RequestFingerprint({"a", "bc"}));
  EXPECT_NE(RequestFingerprint({"a", ""}), RequestFingerprint({"a"}));
  EXPECT_EQ(RequestFingerprint({"a", "bc"}), RequestFingerprint({"a", "bc"}));
}

TEST(Idempotency, NoKeyRecordsNothingAndFindsNothing) {
  MemoryKeys keys;
  const auto record = MakeIdempotencyRecord("users", Caller("usr_1"), std::nullopt, "h");
  EXPECT_FALSE(record.has_value());
  EXPECT_FALSE(FindEarlierCreate(keys, record).has_value());
}

TEST(Idempotency, KeysAreScopedByKindOfCreateAndCaller) {
  const auto a = MakeIdempotencyRecord("users", Caller("usr_1"), "k", "h");
  const auto b = MakeIdempotencyRecord("users", Caller("usr_2"), "k", "h");
  const auto c = MakeIdempotencyRecord("api-keys", Caller("usr_1"), "k", "h");
  ASSERT_TRUE(a && b && c);
  EXPECT_NE(a->scope, b->scope);
  EXPECT_NE(a->scope, c->scope);
  MemoryKeys keys;
  keys.Record(*a, "usr_made");
  EXPECT_EQ(FindEarlierCreate(keys, a), "usr_made");
  EXPECT_FALSE(FindEarlierCreate(keys, b).has_value());
  EXPECT_FALSE(FindEarlierCreate(keys, c).has_value());
}

TEST(Idempotency, SameKeyWithAnotherRequestIsInvalidArgumentNamingTheHeader) {
  MemoryKeys keys;
  keys.Record(*MakeIdempotencyRecord("roles", Caller("usr_1"), "k", "first"), "rol_1");
  try {
    FindEarlierCreate(keys, MakeIdempotencyRecord("roles", Caller("usr_1"), "k", "second"));
    FAIL() << "expected INVALID_ARGUMENT";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    ASSERT_EQ(e.Details().size(), 1U);
    EXPECT_EQ(e.Details()[0].field, "Idempotency-Key");
  }
}

}  // namespace
}  // namespace dbaas::access_control

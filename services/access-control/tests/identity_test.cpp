#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "dbaas/common/error.hpp"
#include "domain/access.hpp"
#include "domain/login_guard.hpp"
#include "domain/password.hpp"
#include "domain/refresh_token.hpp"
#include "domain/user.hpp"
#include "handlers/role_handlers.hpp"
#include "handlers/user_handlers.hpp"

namespace dbaas::access_control {
namespace {

using namespace std::chrono_literals;

TEST(PasswordPolicy, AcceptsLongEnoughPasswords) {
  EXPECT_FALSE(CheckPassword("correct horse battery").has_value());
  EXPECT_FALSE(CheckPassword("abcdefghijkl").has_value());  // exactly 12
}

TEST(PasswordPolicy, RejectsWeakPasswordsWithoutEchoingThem) {
  const auto short_problem = CheckPassword("s3cret-short");  // 12: fine
  EXPECT_FALSE(short_problem.has_value());
  const auto too_short = CheckPassword("tiny-secret");
  ASSERT_TRUE(too_short.has_value());
  EXPECT_EQ(too_short->find("tiny-secret"), std::string::npos);
  EXPECT_TRUE(CheckPassword("aaaaaaaaaaaaaaaa").has_value());
  EXPECT_TRUE(CheckPassword("line\nbreak-in-password").has_value());
  EXPECT_TRUE(CheckPassword(std::string(kMaxPasswordLength + 1, 'x') + "y").has_value());
  EXPECT_TRUE(CheckPassword("Alice@Example.com", "alice@example.com").has_value());
}

TEST(PasswordHash, Argon2idRoundTripAndSaltedHashes) {
  const auto hash = HashPassword("correct horse battery");
  EXPECT_EQ(hash.rfind("$argon2id$v=19$", 0), 0U) << hash;
  EXPECT_NE(hash.find("m=19456,t=2,p=1"), std::string::npos) << hash;
  EXPECT_TRUE(VerifyPassword("correct horse battery", hash));
  EXPECT_FALSE(VerifyPassword("correct horse batterY", hash));
  EXPECT_FALSE(VerifyPassword("", hash));
  EXPECT_NE(HashPassword("correct horse battery"), hash) << "salts must differ";
  EXPECT_FALSE(VerifyPassword("x", "not-a-hash"));
  EXPECT_FALSE(VerifyPassword("x", "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"));
}

TEST(PasswordHash, CostIsInTheIntendedRange) {
  const auto start = std::chrono::steady_clock::now();
  HashPassword("correct horse battery");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GT(took, 10ms) << "hashing this fast makes offline guessing cheap";
  EXPECT_LT(took, 2s);
}

TEST(GeneratedPassword, IsLongRandomAndPassesThePolicy) {
  const auto a = GeneratePassword();
  EXPECT_EQ(a.size(), 28U);
  EXPECT_FALSE(CheckPassword(a, "admin").has_value());
  EXPECT_NE(a, GeneratePassword());
}

TEST(Lockout, SlowsAfterFiveAndLocksAfterTen) {
  ManualClock clock(TimePoint(std::chrono::seconds(1'800'000'000)));
  LockoutPolicy policy;
  LoginState state;
  for (int i = 1; i <= 4; ++i) {
    state = AfterFailure(state, policy, clock.Now());
    EXPECT_EQ(AttemptDelay(state, policy), 0ms) << i;
  }
  state = AfterFailure(state, policy, clock.Now());
  EXPECT_EQ(state.failed_logins, 5);
  EXPECT_EQ(AttemptDelay(state, policy), 250ms);
  state = AfterFailure(state, policy, clock.Now());
  EXPECT_EQ(AttemptDelay(state, policy), 500ms);
  for (int i = 7; i <= 9; ++i) state = AfterFailure(state, policy, clock.Now());
  EXPECT_EQ(AttemptDelay(state, policy), 2000ms) << "capped";
  EXPECT_FALSE(IsLocked(state, clock.Now()));
  state = AfterFailure(state, policy, clock.Now());
  EXPECT_EQ(state.failed_logins, 10);
  ASSERT_TRUE(state.locked_until.has_value());
  EXPECT_TRUE(IsLocked(state, clock.Now()));

  // Attempts during the lock do not extend it.
  clock.Advance(10min);
  const auto locked_until = *state.locked_until;
  state = AfterFailure(state, policy, clock.Now());
  EXPECT_EQ(*state.locked_until, locked_until);
  EXPECT_TRUE(IsLocked(state, clock.Now()));

  // After the lock, counting starts afresh.
  clock.Advance(5min + 1s);
  EXPECT_FALSE(IsLocked(state, clock.Now()));
  state = AfterFailure(state, policy, clock.Now());
  EXPECT_EQ(state.failed_logins, 1);
  EXPECT_FALSE(state.locked_until.has_value());

  EXPECT_EQ(AfterSuccess(state), LoginState{});
}

TEST(SourceLimiter, SlidingWindowPerSource) {
  ManualClock clock(TimePoint(std::chrono::seconds(1'800'000'000)));
  SourceLimiter limiter(3, 60s, clock);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(limiter.RetryAfter("10.0.0.1").has_value());
    limiter.RecordFailure("10.0.0.1");
    clock.Advance(10s);
  }
  auto retry = limiter.RetryAfter("10.0.0.1");
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(*retry, 30s);  // the first failure leaves the window 30 s from now
  EXPECT_FALSE(limiter.RetryAfter("10.0.0.2").has_value()) << "other sources are unaffected";
  clock.Advance(30s);
  EXPECT_FALSE(limiter.RetryAfter("10.0.0.1").has_value());
}

TEST(RefreshRules, RotateOnceThenReuseIsDetected) {
  const TimePoint now(std::chrono::seconds(1'800'000'000));
  auto issued = IssueRefreshToken("usr_x", "", now, 3600s);
  EXPECT_TRUE(LooksLikeRefreshToken(issued.token));
  EXPECT_EQ(issued.record.hash, HashRefreshToken(issued.token));
  EXPECT_EQ(issued.record.hash.find(issued.token), std::string::npos);
  EXPECT_FALSE(issued.record.family_id.empty());
  EXPECT_EQ(EvaluateRefresh(issued.record, now), RefreshVerdict::kRotate);

  auto next = IssueRefreshToken("usr_x", issued.record.family_id, now, 3600s);
  EXPECT_EQ(next.record.family_id, issued.record.family_id);
  EXPECT_NE(next.token, issued.token);

  auto used = issued.record;
  used.used_at = now;
  EXPECT_EQ(EvaluateRefresh(used, now + 1s), RefreshVerdict::kReused);
  EXPECT_EQ(EvaluateRefresh(issued.record, now + 3600s), RefreshVerdict::kExpired);
  auto revoked = used;
  revoked.revoked_at = now;
  EXPECT_EQ(EvaluateRefresh(revoked, now), RefreshVerdict::kRevoked);
  EXPECT_FALSE(LooksLikeRefreshToken("rt_short"));
}

TEST(Email, Validation) {
  EXPECT_FALSE(CheckEmail("dev@example.com").has_value());
  EXPECT_TRUE(CheckEmail("no-at-sign").has_value());
  EXPECT_TRUE(CheckEmail("a@b@c.com").has_value());
  EXPECT_TRUE(CheckEmail("dev@localhost").has_value());
  EXPECT_TRUE(CheckEmail("with space@example.com").has_value());
  EXPECT_EQ(LowerAscii("Dev@Example.COM"), "dev@example.com");
}

TEST(MayGrant, NoEscalationBeyondOwnPermissions) {
  auth::Identity developer{
      "usr_a", auth::IdentityKind::kUser, "ten_a", {*auth::FindBuiltInRole(auth::kRoleDeveloper)}};
  auth::Identity tenant_admin{"usr_b",
                              auth::IdentityKind::kUser,
                              "ten_a",
                              {*auth::FindBuiltInRole(auth::kRoleTenantAdmin)}};
  auth::Identity platform_admin{
      "usr_c", auth::IdentityKind::kUser, "", {*auth::FindBuiltInRole(auth::kRolePlatformAdmin)}};
  const auto& admin_role = *auth::FindBuiltInRole(auth::kRolePlatformAdmin);
  const auto& tenant_admin_role = *auth::FindBuiltInRole(auth::kRoleTenantAdmin);
  const auto& viewer_role = *auth::FindBuiltInRole(auth::kRoleViewer);
  EXPECT_TRUE(MayGrant(platform_admin, admin_role));
  EXPECT_FALSE(MayGrant(tenant_admin, admin_role));
  EXPECT_TRUE(MayGrant(tenant_admin, tenant_admin_role));
  EXPECT_TRUE(MayGrant(tenant_admin, viewer_role));
  EXPECT_FALSE(MayGrant(developer, tenant_admin_role));
  EXPECT_FALSE(MayGrant(tenant_admin, auth::Role{"other", "ten_b", {{"instances", {"read"}}}}));
}

TEST(RequireAccess, PlatformObjectsAreInvisibleToTenants) {
  auth::Identity tenant_admin{"usr_b",
                              auth::IdentityKind::kUser,
                              "ten_a",
                              {*auth::FindBuiltInRole(auth::kRoleTenantAdmin)}};
  try {
    RequireAccess(tenant_admin, "users", "read", "");
    FAIL() << "expected NOT_FOUND";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kNotFound);
  }
  EXPECT_NO_THROW(RequireAccess(tenant_admin, "users", "read", "ten_a"));
}

TEST(UserBodies, EveryProblemIsReported) {
  try {
    ParseUserSpec(nlohmann::json{{"email", "nope"}, {"roles", "admin"}, {"extra", 1}});
    FAIL() << "expected INVALID_ARGUMENT";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    std::set<std::string> fields;
    for (const auto& d : e.Details()) fields.insert(d.field);
    EXPECT_EQ(fields, (std::set<std::string>{"email", "password", "roles", "extra"}));
  }
  EXPECT_THROW(ParseUserPatch(nlohmann::json{{"password", "x"}}), Error);
}

TEST(RoleBodies, PermissionsAreValidated) {
  const auto spec = ParseRoleSpec(nlohmann::json{
      {"name", "dba"},
      {"permissions", {{{"resource", "instances"}, {"actions", {"read", "update"}}}}}});
  ASSERT_EQ(spec.permissions.size(), 1U);
  EXPECT_EQ(spec.permissions[0].resource, "instances");
  try {
    ParseRoleSpec(
        nlohmann::json{{"name", "viewer"},
                       {"permissions", {{{"resource", "Bad Resource"}, {"actions", {"fly"}}}}}});
    FAIL() << "expected INVALID_ARGUMENT";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    bool name = false, permission = false;
    for (const auto& d : e.Details()) {
      name = name || d.field == "name";
      permission = permission || d.field.rfind("permissions[0]", 0) == 0;
    }
    EXPECT_TRUE(name) << "built-in names are reserved";
    EXPECT_TRUE(permission);
  }
}

}  // namespace
}  // namespace dbaas::access_control

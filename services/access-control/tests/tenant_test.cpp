#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"
#include "domain/tenant.hpp"
#include "domain/tenant_service.hpp"
#include "handlers/tenant_handlers.hpp"

namespace dbaas::access_control {
namespace {

using nlohmann::json;

TEST(TenantName, AcceptsDnsLabelSlugs) {
  for (const char* ok : {"acme", "team-7", "a1b", "abc-def-ghi"}) {
    EXPECT_EQ(CheckTenantName(ok), std::nullopt) << ok;
  }
  EXPECT_EQ(CheckTenantName(std::string(63, 'a')), std::nullopt);
}

TEST(TenantName, RejectsWithSpecificReason) {
  EXPECT_EQ(CheckTenantName("ab"), "must be 3 to 63 characters long");
  EXPECT_EQ(CheckTenantName(std::string(64, 'a')), "must be 3 to 63 characters long");
  EXPECT_EQ(CheckTenantName("1abc"), "must start with a lower-case letter");
  EXPECT_EQ(CheckTenantName("Acme"), "must start with a lower-case letter");
  EXPECT_EQ(CheckTenantName("ac_me"), "may contain only lower-case letters, digits and hyphens");
  EXPECT_EQ(CheckTenantName("acme'; DROP TABLE tenants;--"),
            "may contain only lower-case letters, digits and hyphens");
  EXPECT_EQ(CheckTenantName("acme-"), "must not end with a hyphen");
}

TEST(ParseTenantSpec, AppliesDefaults) {
  auto spec = ParseTenantSpec(json{{"name", "acme"}});
  EXPECT_EQ(spec.name, "acme");
  EXPECT_EQ(spec.limits, TenantLimits{});
}

TEST(ParseTenantSpec, ReportsEveryProblemAtOnce) {
  try {
    ParseTenantSpec(json{{"name", "Bad Name"},
                         {"display_name", 5},
                         {"limits", {{"max_instances", -1}, {"max_gpus", 2}}},
                         {"color", "red"}});
    FAIL() << "expected INVALID_ARGUMENT";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    std::vector<std::string> fields;
    for (const auto& d : e.Details()) fields.push_back(d.field);
    EXPECT_EQ(fields, (std::vector<std::string>{"name", "display_name", "limits.max_instances",
                                                "limits.max_gpus", "color"}));
  }
}

TEST(ParseTenantSpec, RequiresName) {
  try {
    ParseTenantSpec(json::object());
    FAIL();
  } catch (const Error& e) {
    ASSERT_EQ(e.Details().size(), 1U);
    EXPECT_EQ(e.Details()[0].field, "name");
    EXPECT_EQ(e.Details()[0].issue, "is required");
  }
}

TEST(ParseTenantPatch, NameIsImmutableAndLimitsBounded) {
  EXPECT_THROW(ParseTenantPatch(json{{"name", "other"}}), Error);
  EXPECT_THROW(ParseTenantPatch(json{{"limits", {{"max_instances", 10001}}}}), Error);
  auto patch = ParseTenantPatch(json{{"active", false}, {"limits", {{"max_backups", 3}}}});
  EXPECT_EQ(patch.active, false);
  EXPECT_EQ(patch.max_backups, 3);
  EXPECT_FALSE(patch.max_instances.has_value());
}

TEST(ApplyPatch, ChangesOnlyGivenFieldsAndBumpsVersion) {
  Tenant t;
  t.name = "acme";
  t.display_name = "Acme";
  const auto later = TimePoint{} + std::chrono::hours(1);
  TenantPatch patch;
  patch.max_instances = 3;
  const Tenant next = ApplyPatch(t, patch, later);
  EXPECT_EQ(next.limits.max_instances, 3);
  EXPECT_EQ(next.limits.max_backups, t.limits.max_backups);
  EXPECT_EQ(next.display_name, "Acme");
  EXPECT_EQ(next.version, t.version + 1);
  EXPECT_EQ(next.updated_at, later);
  EXPECT_EQ(TenantEtag(next), "\"2\"");
}

TEST(HashTenantSpec, DistinguishesFieldBoundaries) {
  TenantSpec a{"abc", "d", {}};
  TenantSpec b{"ab", "cd", {}};
  EXPECT_NE(HashTenantSpec(a), HashTenantSpec(b));
  EXPECT_EQ(HashTenantSpec(a), HashTenantSpec(TenantSpec{"abc", "d", {}}));
}

}  // namespace
}  // namespace dbaas::access_control

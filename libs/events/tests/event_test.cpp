#include "dbaas/events/event.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "dbaas/common/error.hpp"
#include "dbaas/common/id.hpp"
#include "dbaas/events/v1/tenant.pb.h"

namespace dbaas::events {
namespace {

TEST(Subject, AcceptsServiceEntityVerb) {
  EXPECT_TRUE(IsValidSubject("dbaas.access-control.tenant.created"));
  EXPECT_TRUE(IsValidSubject("dbaas.provisioning.instance.failed"));
  EXPECT_TRUE(IsValidSubject("dbaas.ha2.cluster.failed-over"));
}

TEST(Subject, RejectsWrongShape) {
  EXPECT_FALSE(IsValidSubject(""));
  EXPECT_FALSE(IsValidSubject("dbaas"));
  EXPECT_FALSE(IsValidSubject("dbaas.access-control.tenant"));
  EXPECT_FALSE(IsValidSubject("dbaas.access-control.tenant.created.extra"));
  EXPECT_FALSE(IsValidSubject("other.access-control.tenant.created"));
  EXPECT_FALSE(IsValidSubject("dbaas..tenant.created"));
  EXPECT_FALSE(IsValidSubject("dbaas.access-control.tenant."));
  EXPECT_FALSE(IsValidSubject("dbaas.access-control.Tenant.created"));
  EXPECT_FALSE(IsValidSubject("dbaas.access_control.tenant.created"));
  EXPECT_FALSE(IsValidSubject("dbaas.access-control.*.created"));
  EXPECT_FALSE(IsValidSubject("dbaas.access-control.tenant.>"));
  EXPECT_FALSE(IsValidSubject("dbaas.access control.tenant.created"));
}

TEST(Subject, ValidateNamesTheSubject) {
  try {
    ValidateSubject("dbaas.Bad.tenant.created");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("dbaas.Bad.tenant.created"), std::string::npos);
  }
}

TEST(MakeEvent, FillsIdTimeTypeAndPayload) {
  v1::TenantCreated created;
  created.set_tenant_id("ten_01");
  created.set_name("acme");
  created.mutable_limits()->set_max_instances(5);

  const auto before = std::chrono::system_clock::now() - std::chrono::milliseconds(1);
  Event e = MakeEvent("dbaas.access-control.tenant.created", "access-control", "ten_01", created,
                      "req_42");
  const auto after = std::chrono::system_clock::now();

  EXPECT_TRUE(EventId::Parse(e.id).has_value()) << e.id;
  EXPECT_EQ(e.subject, "dbaas.access-control.tenant.created");
  EXPECT_EQ(e.source, "access-control");
  EXPECT_EQ(e.tenant_id, "ten_01");
  EXPECT_EQ(e.request_id, "req_42");
  EXPECT_EQ(e.payload_type, "dbaas.events.v1.TenantCreated");
  EXPECT_GE(e.time, before);
  EXPECT_LE(e.time, after);
  EXPECT_EQ(e.time.time_since_epoch() % std::chrono::milliseconds(1), TimePoint::duration::zero());

  v1::TenantCreated decoded;
  ASSERT_TRUE(decoded.ParseFromString(e.payload));
  EXPECT_EQ(decoded.name(), "acme");
  EXPECT_EQ(decoded.limits().max_instances(), 5);
}

TEST(MakeEvent, GivesEveryEventItsOwnId) {
  v1::TenantDeleted deleted;
  auto a = MakeEvent("dbaas.access-control.tenant.deleted", "access-control", "", deleted);
  auto b = MakeEvent("dbaas.access-control.tenant.deleted", "access-control", "", deleted);
  EXPECT_NE(a.id, b.id);
}

TEST(MakeEvent, RejectsInvalidSubjectAndMissingSource) {
  v1::TenantDeleted deleted;
  EXPECT_THROW(MakeEvent("tenant.deleted", "access-control", "", deleted), Error);
  EXPECT_THROW(MakeEvent("dbaas.access-control.tenant.deleted", "", "", deleted), Error);
}

}  // namespace
}  // namespace dbaas::events

#include <gtest/gtest.h>

#include "dbaas/common/error.hpp"
#include "dbaas/events/audit.hpp"
#include "dbaas/events/v1/tenant.pb.h"

namespace dbaas::events {
namespace {

AuditRecord Sample() {
  AuditRecord r;
  r.source = "gateway";
  r.request_id = "req_1";
  r.category = "api.call";
  r.actor_type = "user";
  r.actor_id = "usr_1";
  r.tenant_id = "ten_1";
  r.action = "instances:create";
  r.resource = "/v1/instances";
  r.method = "POST";
  r.outcome = std::string(kAuditDenied);
  r.status = 403;
  r.reason = "permission_denied";
  r.source_address = "10.0.0.7";
  r.user_agent = "curl/8";
  return r;
}

TEST(AuditEvent, RoundTripsEveryField) {
  const auto record = Sample();
  const Event e = MakeAuditEvent(record);
  EXPECT_EQ(e.subject, "dbaas.gateway.audit.recorded");
  EXPECT_EQ(e.tenant_id, "ten_1");
  EXPECT_TRUE(e.id.starts_with("evt_"));
  auto back = AuditRecordFromEvent(e);
  EXPECT_EQ(back.id, e.id);
  EXPECT_EQ(back.time, e.time);
  back.id.clear();
  back.time = {};
  EXPECT_EQ(back, record);
}

TEST(AuditEvent, RejectsUnknownOutcomesAndMissingFields) {
  auto r = Sample();
  r.outcome = "maybe";
  EXPECT_THROW(MakeAuditEvent(r), Error);
  r = Sample();
  r.category.clear();
  EXPECT_THROW(MakeAuditEvent(r), Error);
  r = Sample();
  r.source = "Not A Service";
  EXPECT_THROW(MakeAuditEvent(r), Error);  // the subject would be invalid
}

TEST(AuditEvent, CutsOverlongTextWithoutBreakingUtf8) {
  auto r = Sample();
  r.user_agent = std::string(255, 'a') + "\xC3\xA9" + std::string(100, 'b');  // é at 255..256
  r.resource = "/" + std::string(5000, 'x');
  const auto back = AuditRecordFromEvent(MakeAuditEvent(r));
  EXPECT_EQ(back.user_agent, std::string(255, 'a'));
  EXPECT_EQ(back.resource.size(), 1024U);
}

TEST(AuditEvent, OtherEventsAreNotAuditRecords) {
  v1::TenantCreated created;
  created.set_name("acme");
  const Event e = MakeEvent("dbaas.access-control.tenant.created", "access-control", "", created);
  EXPECT_THROW(AuditRecordFromEvent(e), Error);
}

}  // namespace
}  // namespace dbaas::events

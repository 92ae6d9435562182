#include <gtest/gtest.h>

#include "dbaas/common/error.hpp"
#include "dbaas/events/audit.hpp"
#include "dbaas/events/v1/tenant.pb.h"

#include <vector>

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

TEST(AuditEvent, ABatchCarriesEveryRecordWithItsOwnIdTimeAndRequest) {
  std::vector<AuditRecord> records;
  for (int i = 0; i < 3; ++i) {
    auto r = Sample();
    r.request_id = "req_" + std::to_string(i);
    r.status = 200 + i;
    records.push_back(r);
  }
  records[1].id = "evt_given";
  records[2].time = TimePoint(std::chrono::milliseconds(1'700'000'000'123));
  const Event e = MakeAuditBatchEvent(records);
  EXPECT_EQ(e.subject, "dbaas.gateway.audit.batch");
  const auto back = AuditRecordsFromEvent(e);
  ASSERT_EQ(back.size(), 3U);
  EXPECT_TRUE(back[0].id.starts_with("evt_"));
  EXPECT_NE(back[0].id, e.id);
  EXPECT_EQ(back[1].id, "evt_given");
  EXPECT_EQ(back[2].time, TimePoint(std::chrono::milliseconds(1'700'000'000'123)));
  for (std::size_t i = 0; i < 3; ++i) {
    auto expected = records[i];
    auto got = back[i];
    EXPECT_EQ(got.request_id, "req_" + std::to_string(i));
    expected.id = got.id;
    expected.time = got.time;
    EXPECT_EQ(got, expected) << i;
  }
  // A single-record event reads the same way.
  EXPECT_EQ(AuditRecordsFromEvent(MakeAuditEvent(Sample())).size(), 1U);
}

TEST(AuditEvent, ABatchRefusesMixedSourcesAndBadRecords) {
  auto other = Sample();
  other.source = "access-control";
  EXPECT_THROW(MakeAuditBatchEvent(std::vector<AuditRecord>{Sample(), other}), Error);
  auto bad = Sample();
  bad.outcome = "maybe";
  EXPECT_THROW(MakeAuditBatchEvent(std::vector<AuditRecord>{Sample(), bad}), Error);
  EXPECT_THROW(MakeAuditBatchEvent(std::vector<AuditRecord>{}), Error);
}

TEST(AuditEvent, OtherEventsAreNotAuditRecords) {
  v1::TenantCreated created;
  created.set_name("acme");
  const Event e = MakeEvent("dbaas.access-control.tenant.created", "access-control", "", created);
  EXPECT_THROW(AuditRecordFromEvent(e), Error);
}

}  // namespace
}  // namespace dbaas::events

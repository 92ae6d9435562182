#include <gtest/gtest.h>

#include "dbaas/common/clock.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/events/event.hpp"
#include "dbaas/events/jetstream.hpp"
#include "dbaas/events/v1/tenant.pb.h"
#include "test_support.hpp"

namespace dbaas::events {
namespace {

using namespace std::chrono_literals;
using test::FastNats;
using test::StreamProbe;
using test::WaitUntil;

Event TenantCreatedEvent(const std::string& name) {
  v1::TenantCreated created;
  created.set_name(name);
  return MakeEvent("dbaas.access-control.tenant.created", "access-control", "ten_x", created,
                   "req_x");
}

TEST(JetStream, SameEventIdIsStoredOnce) {
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 10s));
  js.EnsureStream();
  js.EnsureStream();  // idempotent

  const Event e = TenantCreatedEvent("acme");
  const PublishAck first = js.Publish(e);
  const PublishAck second = js.Publish(e);
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(second.duplicate);
  EXPECT_EQ(second.sequence, first.sequence);

  // A second connection (another replica) retrying the same event is also de-duplicated.
  JetStream other(FastNats(nats.Url(), "other"));
  ASSERT_TRUE(WaitUntil([&] { return other.Connected(); }, 10s));
  EXPECT_TRUE(other.Publish(e).duplicate);

  StreamProbe probe(nats.Url());
  auto events = probe.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], e);
}

TEST(JetStream, CarriesCloudEventsHeaders) {
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 10s));
  const Event e = TenantCreatedEvent("acme");
  js.Publish(e);

  StreamProbe probe(nats.Url());
  auto messages = probe.Messages();
  ASSERT_EQ(messages.size(), 1u);
  const auto& h = messages[0].headers;
  EXPECT_EQ(messages[0].subject, "dbaas.access-control.tenant.created");
  EXPECT_EQ(h.at("Nats-Msg-Id"), e.id);
  EXPECT_EQ(h.at("ce-id"), e.id);
  EXPECT_EQ(h.at("ce-type"), "dbaas.access-control.tenant.created");
  EXPECT_EQ(h.at("ce-source"), "access-control");
  EXPECT_EQ(h.at("ce-specversion"), "1.0");
  EXPECT_EQ(h.at("ce-time"), FormatRfc3339(e.time));
  EXPECT_EQ(h.at("ce-tenant"), "ten_x");
  EXPECT_EQ(h.at("ce-requestid"), "req_x");
}

TEST(JetStream, StartsWhileNatsIsDownAndConnectsWhenItComes) {
  testing::NatsServer nats;
  nats.Stop();
  JetStream js(FastNats(nats.Url()));
  EXPECT_FALSE(js.Connected());
  try {
    js.Publish(TenantCreatedEvent("early"));
    FAIL() << "expected UNAVAILABLE";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kUnavailable);
  }

  nats.Start();
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 15s));
  EXPECT_NO_THROW(js.Publish(TenantCreatedEvent("late")));
  StreamProbe probe(nats.Url());
  EXPECT_EQ(probe.Events().size(), 1u);
}

}  // namespace
}  // namespace dbaas::events

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "dbaas/common/error.hpp"
#include "dbaas/events/event.hpp"
#include "dbaas/events/outbox.hpp"
#include "dbaas/events/outbox_relay.hpp"
#include "dbaas/events/v1/instance.pb.h"
#include "test_support.hpp"

namespace dbaas::events {
namespace {

using namespace std::chrono_literals;
using test::Database;
using test::FastNats;
using test::StreamProbe;
using test::WaitUntil;

Event InstanceEvent(const std::string& verb, const std::string& instance_id) {
  v1::InstanceEvent payload;
  payload.set_instance_id(instance_id);
  payload.set_tenant_id("ten_1");
  payload.set_status(verb);
  return MakeEvent("dbaas.provisioning.instance." + verb, "provisioning", "ten_1", payload);
}

RelayConfig FastRelay() {
  RelayConfig config;
  config.poll_interval = 50ms;
  config.max_backoff = 300ms;
  return config;
}

TEST(Outbox, EventInRolledBackTransactionIsNeverPublished) {
  Database db;
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  OutboxRelay relay(*db.pool, js, FastRelay());
  relay.Start();

  const Event rolled_back = InstanceEvent("created", "ins_rolled_back");
  EXPECT_THROW(db.pool->InTransaction([&](store::Tx& tx) {
    Enqueue(tx, rolled_back);
    throw std::runtime_error("the state change failed");
  }),
               std::runtime_error);
  const Event committed = InstanceEvent("created", "ins_committed");
  db.pool->InTransaction([&](store::Tx& tx) { Enqueue(tx, committed); });

  StreamProbe probe(nats.Url());
  ASSERT_TRUE(WaitUntil([&] { return !probe.Events().empty(); }, 15s));
  std::this_thread::sleep_for(500ms);  // give a wrongly kept event time to show up
  relay.Stop();

  auto events = probe.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], committed);
  EXPECT_EQ(db.Count("SELECT count(*) AS n FROM event_outbox WHERE id = '" + rolled_back.id + "'"),
            0);
  EXPECT_EQ(relay.Pending(), 0u);
}

TEST(Outbox, EventCommittedWhileNatsIsDownArrivesOnceWhenItReturns) {
  Database db;
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 10s));
  js.EnsureStream();
  OutboxRelay relay(*db.pool, js, FastRelay());
  relay.Start();

  nats.Stop();
  ASSERT_TRUE(WaitUntil([&] { return !js.Connected(); }, 10s));
  const Event e = InstanceEvent("created", "ins_1");
  db.pool->InTransaction([&](store::Tx& tx) { Enqueue(tx, e); });
  std::this_thread::sleep_for(1s);  // the relay keeps failing meanwhile
  EXPECT_EQ(relay.Pending(), 1u);
  EXPECT_GE(db.Count("SELECT attempts::bigint AS n FROM event_outbox"), 1);

  nats.Start();
  StreamProbe probe(nats.Url());
  ASSERT_TRUE(WaitUntil([&] { return relay.Pending() == 0; }, 30s));
  std::this_thread::sleep_for(500ms);
  relay.Stop();

  auto events = probe.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], e);
}

TEST(Outbox, RelayPublishesInCommitOrderAndMarksRowsPublished) {
  Database db;
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 10s));
  std::vector<Event> sent;
  for (int i = 0; i < 5; ++i) {
    sent.push_back(InstanceEvent("updated", "ins_" + std::to_string(i)));
    db.pool->InTransaction([&](store::Tx& tx) { Enqueue(tx, sent.back()); });
  }
  RelayConfig config;
  config.batch_size = 2;
  OutboxRelay relay(*db.pool, js, config);
  EXPECT_EQ(relay.Pending(), 5u);
  EXPECT_EQ(relay.RunOnce(), 2);
  EXPECT_EQ(relay.RunOnce(), 2);
  EXPECT_EQ(relay.RunOnce(), 1);
  EXPECT_EQ(relay.RunOnce(), 0);
  EXPECT_EQ(relay.Pending(), 0u);
  StreamProbe probe(nats.Url());
  EXPECT_EQ(probe.Events(), sent);

  // Nothing is old enough for the 24 h retention; with a zero retention everything goes.
  EXPECT_EQ(relay.DeleteExpired(), 0);
  RelayConfig no_retention;
  no_retention.retention = 0ms;
  OutboxRelay cleaner(*db.pool, js, no_retention);
  EXPECT_EQ(cleaner.DeleteExpired(), 5);
}

TEST(Outbox, RunOnceReportsUnavailableAndKeepsTheRow) {
  Database db;
  testing::NatsServer nats;
  nats.Stop();
  JetStream js(FastNats(nats.Url()));
  db.pool->InTransaction([&](store::Tx& tx) { Enqueue(tx, InstanceEvent("created", "ins_1")); });
  OutboxRelay relay(*db.pool, js);
  try {
    relay.RunOnce();
    FAIL() << "expected UNAVAILABLE";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kUnavailable);
  }
  EXPECT_EQ(relay.Pending(), 1u);
}

TEST(Outbox, EnqueueRejectsInvalidAndDuplicateEvents) {
  Database db;
  Event e = InstanceEvent("created", "ins_1");
  db.pool->InTransaction([&](store::Tx& tx) { Enqueue(tx, e); });
  try {
    db.pool->InTransaction([&](store::Tx& tx) { Enqueue(tx, e); });
    FAIL() << "expected ALREADY_EXISTS";
  } catch (const Error& err) {
    EXPECT_EQ(err.Code(), ErrorCode::kAlreadyExists);
  }
  Event bad = e;
  bad.id = GenerateId("evt");
  bad.subject = "instance.created";
  EXPECT_THROW(db.pool->InTransaction([&](store::Tx& tx) { Enqueue(tx, bad); }), Error);
}

TEST(Outbox, TwoRelaysPublishEachEventOnce) {
  Database db;
  testing::NatsServer nats;
  StreamProbe probe(nats.Url());
  JetStream js_a(FastNats(nats.Url(), "relay-a"));
  JetStream js_b(FastNats(nats.Url(), "relay-b"));
  ASSERT_TRUE(WaitUntil([&] { return js_a.Connected() && js_b.Connected(); }, 10s));
  js_a.EnsureStream();
  probe.StartTap();

  RelayConfig config = FastRelay();
  config.poll_interval = 5ms;
  config.batch_size = 7;
  OutboxRelay a(*db.pool, js_a, config);
  OutboxRelay b(*db.pool, js_b, config);
  a.Start();
  b.Start();

  constexpr int kEvents = 150;
  std::vector<Event> sent;
  for (int i = 0; i < kEvents; ++i) {
    sent.push_back(InstanceEvent("updated", "ins_" + std::to_string(i)));
    db.pool->InTransaction([&](store::Tx& tx) { Enqueue(tx, sent.back()); });
  }
  ASSERT_TRUE(WaitUntil([&] { return a.Pending() == 0; }, 60s));
  a.Stop();
  b.Stop();

  // Every event went over the wire exactly once (not merely de-duplicated by the stream).
  auto on_wire = probe.TapCounts();
  ASSERT_EQ(on_wire.size(), static_cast<std::size_t>(kEvents));
  for (const auto& [id, count] : on_wire) EXPECT_EQ(count, 1) << id;
  EXPECT_EQ(probe.Events(), sent);
}

}  // namespace
}  // namespace dbaas::events

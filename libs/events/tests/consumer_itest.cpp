#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "dbaas/events/consumer.hpp"
#include "dbaas/events/event.hpp"
#include "dbaas/events/outbox.hpp"
#include "dbaas/events/outbox_relay.hpp"
#include "dbaas/events/v1/tenant.pb.h"
#include "test_support.hpp"

namespace dbaas::events {
namespace {

using namespace std::chrono_literals;
using test::Database;
using test::FastNats;
using test::StreamProbe;
using test::WaitUntil;

Event TenantCreatedEvent(const std::string& name) {
  v1::TenantCreated created;
  created.set_tenant_id("ten_" + name);
  created.set_name(name);
  return MakeEvent("dbaas.access-control.tenant.created", "access-control", "ten_" + name, created);
}

ConsumerConfig FastConsumer() {
  ConsumerConfig config;
  config.durable = "provisioning-tenants";
  config.filter_subject = "dbaas.access-control.tenant.*";
  config.ack_wait = 1000ms;
  config.nak_delay = 100ms;
  config.max_deliver = 5;
  config.fetch_wait = 200ms;
  return config;
}

// The consuming service's own state change: one row per tenant it has seen.
struct Effects {
  Database& db;
  std::atomic<int> calls{0};

  explicit Effects(Database& d) : db(d) {
    db.pool->Exec("CREATE TABLE tenants_seen (tenant_id text NOT NULL, name text NOT NULL)");
  }
  EventHandler Handler(std::function<void(int call)> after_write = {}) {
    return [this, after_write](const Event& e, store::Tx& tx) {
      v1::TenantCreated created;
      if (!created.ParseFromString(e.payload)) throw std::runtime_error("bad payload");
      tx.Exec("INSERT INTO tenants_seen (tenant_id, name) VALUES ($1, $2)",
              {created.tenant_id(), created.name()});
      const int call = ++calls;
      if (after_write) after_write(call);
    };
  }
  std::int64_t Rows() { return db.Count("SELECT count(*) AS n FROM tenants_seen"); }
};

// Receives until `count` messages were handled or skipped, or `timeout` passes.
int ReceiveUntil(Consumer& consumer, int count, std::chrono::milliseconds timeout) {
  int received = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (received < count && std::chrono::steady_clock::now() < deadline) {
    received += consumer.RunOnce(200ms);
  }
  return received;
}

TEST(Consumer, CrashBeforeAckRedeliversWithoutRepeatingTheEffect) {
  Database db;
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 10s));
  Effects effects(db);
  js.Publish(TenantCreatedEvent("acme"));

  {
    Consumer crashing(*db.pool, js, FastConsumer(), effects.Handler());
    crashing.SkipAcksForTesting(1);
    ASSERT_EQ(ReceiveUntil(crashing, 1, 10s), 1);
    EXPECT_EQ(effects.calls, 1);
    EXPECT_EQ(effects.Rows(), 1);
  }  // the process "dies" with the event committed but not acked

  Consumer restarted(*db.pool, js, FastConsumer(), effects.Handler());
  ASSERT_EQ(ReceiveUntil(restarted, 1, 15s), 1) << "JetStream did not redeliver after ack_wait";
  EXPECT_EQ(effects.calls, 1) << "the handler ran again for a processed event";
  EXPECT_EQ(effects.Rows(), 1);

  // The redelivery was acked: nothing more arrives after another ack_wait.
  EXPECT_EQ(ReceiveUntil(restarted, 1, 2500ms), 0);
  EXPECT_EQ(db.Count("SELECT count(*) AS n FROM processed_events"), 1);
}

TEST(Consumer, FailedHandlerIsRetriedAndItsEffectHappensOnce) {
  Database db;
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 10s));
  Effects effects(db);
  js.Publish(TenantCreatedEvent("acme"));

  // The first attempt writes its row and then fails: the row must be rolled back.
  Consumer consumer(*db.pool, js, FastConsumer(), effects.Handler([](int call) {
    if (call == 1) throw std::runtime_error("downstream not ready");
  }));
  ASSERT_EQ(ReceiveUntil(consumer, 1, 15s), 1);
  EXPECT_EQ(effects.calls, 2);
  EXPECT_EQ(effects.Rows(), 1);
  EXPECT_EQ(ReceiveUntil(consumer, 1, 2500ms), 0);
  EXPECT_EQ(effects.Rows(), 1);
}

TEST(Consumer, GivesUpAfterMaxDeliver) {
  Database db;
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 10s));
  Effects effects(db);
  js.Publish(TenantCreatedEvent("poison"));

  ConsumerConfig config = FastConsumer();
  config.max_deliver = 3;
  Consumer consumer(*db.pool, js, config,
                    effects.Handler([](int) { throw std::runtime_error("always fails"); }));
  ASSERT_TRUE(WaitUntil(
      [&] {
        consumer.RunOnce(100ms);
        return effects.calls >= 3;
      },
      15s));
  ReceiveUntil(consumer, 1, 2500ms);
  EXPECT_EQ(effects.calls, 3);
  EXPECT_EQ(effects.Rows(), 0);
}

TEST(Consumer, TerminatesMessagesThatAreNotEnvelopes) {
  Database db;
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 10s));
  js.EnsureStream();
  Effects effects(db);
  StreamProbe probe(nats.Url());
  probe.PublishRaw("dbaas.access-control.tenant.created", "\xff\xfe garbage");
  js.Publish(TenantCreatedEvent("after-garbage"));

  Consumer consumer(*db.pool, js, FastConsumer(), effects.Handler());
  ASSERT_EQ(ReceiveUntil(consumer, 1, 10s), 1);
  EXPECT_EQ(ReceiveUntil(consumer, 1, 2500ms), 0) << "garbage was redelivered";
  EXPECT_EQ(effects.calls, 1);
}

TEST(Consumer, OutboxToConsumerEndToEndInTheBackground) {
  Database producer;
  Database consumer_db;
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  RelayConfig relay_config;
  relay_config.poll_interval = 50ms;
  OutboxRelay relay(*producer.pool, js, relay_config);
  Effects effects(consumer_db);
  Consumer consumer(*consumer_db.pool, js, FastConsumer(), effects.Handler());
  relay.Start();
  consumer.Start();

  for (int i = 0; i < 5; ++i) {
    producer.pool->InTransaction(
        [&](store::Tx& tx) { Enqueue(tx, TenantCreatedEvent("t" + std::to_string(i))); });
  }
  relay.Notify();
  EXPECT_TRUE(WaitUntil([&] { return effects.Rows() == 5; }, 30s)) << effects.Rows();
  consumer.Stop();
  relay.Stop();
  EXPECT_EQ(effects.calls, 5);
}

}  // namespace
}  // namespace dbaas::events

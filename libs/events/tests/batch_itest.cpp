#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <vector>

#include "dbaas/events/audit.hpp"
#include "dbaas/events/background_publisher.hpp"
#include "dbaas/events/consumer.hpp"
#include "test_support.hpp"

namespace dbaas::events {
namespace {

using namespace std::chrono_literals;
using test::Database;
using test::FastNats;
using test::StreamProbe;
using test::WaitUntil;

Event AuditEvent(int n) {
  AuditRecord r;
  r.source = "gateway";
  r.category = "api.call";
  r.outcome = std::string(kAuditSuccess);
  r.resource = "/v1/things/" + std::to_string(n);
  r.status = 200;
  return MakeAuditEvent(r);
}

std::vector<Event> AuditEvents(int count) {
  std::vector<Event> events;
  for (int i = 0; i < count; ++i) events.push_back(AuditEvent(i));
  return events;
}

TEST(PublishBatch, StoresEveryEventOnceAndRetriesAreDeduplicated) {
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 10s));
  const auto events = AuditEvents(300);
  js.PublishBatch(events);
  js.PublishBatch(events);  // a retry after a lost acknowledgement

  StreamProbe probe(nats.Url());
  const auto stored = probe.Events();
  ASSERT_EQ(stored.size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(stored[i], events[i]) << i;
}

TEST(PublishBatch, InvalidEventSendsNothing) {
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 10s));
  auto events = AuditEvents(3);
  events[1].subject = "not a subject";
  EXPECT_THROW(js.PublishBatch(events), Error);
  js.EnsureStream();
  StreamProbe probe(nats.Url());
  EXPECT_TRUE(probe.Events().empty());
}

TEST(PublishBatch, FailsWhenNatsIsDown) {
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 10s));
  js.EnsureStream();
  nats.Stop();
  ASSERT_TRUE(WaitUntil([&] { return !js.Connected(); }, 10s));
  try {
    js.PublishBatch(AuditEvents(2));
    FAIL() << "published while NATS was down";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kUnavailable);
  }
}

TEST(BackgroundPublisher, DeliversEverythingOfferedAcrossANatsOutage) {
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 10s));
  BackgroundPublisherConfig config;
  config.batch = 64;
  config.retry_min = 50ms;
  config.retry_max = 200ms;
  BackgroundPublisher publisher(js, config);
  publisher.Start();

  std::set<std::string> offered;
  for (int i = 0; i < 500; ++i) {
    auto e = AuditEvent(i);
    offered.insert(e.id);
    ASSERT_TRUE(publisher.Offer(std::move(e)));
  }
  ASSERT_TRUE(WaitUntil([&] { return publisher.Pending() == 0; }, 20s));
  nats.Stop();
  for (int i = 500; i < 700; ++i) {
    auto e = AuditEvent(i);
    offered.insert(e.id);
    ASSERT_TRUE(publisher.Offer(std::move(e)));
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_GT(publisher.Pending(), 0U);  // held while NATS is away
  nats.Start();
  ASSERT_TRUE(WaitUntil([&] { return publisher.Pending() == 0; }, 30s));
  publisher.Stop();

  StreamProbe probe(nats.Url());
  std::set<std::string> stored;
  for (const auto& e : probe.Events()) stored.insert(e.id);
  EXPECT_EQ(stored, offered);
  EXPECT_EQ(publisher.Published(), offered.size());
  EXPECT_EQ(publisher.Dropped(), 0U);
}

TEST(BackgroundPublisher, RefusesAndCountsWhatDoesNotFit) {
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  BackgroundPublisherConfig config;
  config.capacity = 10;
  BackgroundPublisher publisher(js, config);  // not started: nothing drains the queue
  int accepted = 0;
  for (int i = 0; i < 15; ++i) accepted += publisher.Offer(AuditEvent(i)) ? 1 : 0;
  EXPECT_EQ(accepted, 10);
  EXPECT_EQ(publisher.Dropped(), 5U);
  publisher.Stop();
  EXPECT_EQ(publisher.Dropped(), 15U);  // the unsent ten are counted at Stop
  EXPECT_FALSE(publisher.Offer(AuditEvent(99)));
}

ConsumerConfig BatchConsumer() {
  ConsumerConfig config;
  config.durable = "audit-test";
  config.filter_subject = std::string(kAuditSubjects);
  config.ack_wait = 1000ms;
  config.nak_delay = 100ms;
  config.max_deliver = 5;
  config.fetch_wait = 200ms;
  config.batch = 100;
  return config;
}

TEST(BatchConsumer, HandlesABatchInOneTransactionAndEachEventOnce) {
  Database db;
  db.pool->Exec("CREATE TABLE seen (event_id text PRIMARY KEY, resource text NOT NULL)");
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 10s));
  const auto events = AuditEvents(250);
  js.PublishBatch(events);

  std::vector<std::size_t> batch_sizes;
  Consumer consumer(*db.pool, js, BatchConsumer(),
                    BatchEventHandler([&](std::span<const Event> batch, store::Tx& tx) {
                      batch_sizes.push_back(batch.size());
                      for (const auto& e : batch) {
                        tx.Exec("INSERT INTO seen VALUES ($1, $2)",
                                {e.id, AuditRecordFromEvent(e).resource});
                      }
                    }));
  consumer.SkipAcksForTesting(250);  // a crash after the commits: everything comes again
  int handled = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (handled < 250 && std::chrono::steady_clock::now() < deadline) {
    handled += consumer.RunOnce(200ms);
  }
  ASSERT_EQ(handled, 250);
  ASSERT_FALSE(batch_sizes.empty());
  EXPECT_GT(*std::max_element(batch_sizes.begin(), batch_sizes.end()), 1U);
  EXPECT_EQ(db.Count("SELECT count(*) AS n FROM seen"), 250);

  // Redelivered after ack_wait: acknowledged without calling the handler again.
  const auto calls_before = batch_sizes.size();
  int again = 0;
  const auto redelivery_deadline = std::chrono::steady_clock::now() + 10s;
  while (again < 250 && std::chrono::steady_clock::now() < redelivery_deadline) {
    again += consumer.RunOnce(200ms);
  }
  EXPECT_EQ(again, 250);
  EXPECT_EQ(batch_sizes.size(), calls_before);
  EXPECT_EQ(db.Count("SELECT count(*) AS n FROM seen"), 250);
}

TEST(BatchConsumer, OneBadEventDoesNotHoldUpTheRest) {
  Database db;
  db.pool->Exec("CREATE TABLE seen (event_id text PRIMARY KEY, resource text NOT NULL)");
  testing::NatsServer nats;
  JetStream js(FastNats(nats.Url()));
  ASSERT_TRUE(WaitUntil([&] { return js.Connected(); }, 10s));
  const auto events = AuditEvents(20);
  const std::string poison = events[7].id;
  js.PublishBatch(events);

  Consumer consumer(*db.pool, js, BatchConsumer(),
                    BatchEventHandler([&](std::span<const Event> batch, store::Tx& tx) {
                      for (const auto& e : batch) {
                        if (e.id == poison) throw std::runtime_error("cannot store this one");
                        tx.Exec("INSERT INTO seen VALUES ($1, $2)",
                                {e.id, AuditRecordFromEvent(e).resource});
                      }
                    }));
  ASSERT_TRUE(WaitUntil(
      [&] {
        consumer.RunOnce(100ms);
        return db.Count("SELECT count(*) AS n FROM seen") == 19;
      },
      15s));
  EXPECT_EQ(db.Count("SELECT count(*) AS n FROM seen WHERE event_id = '" + poison + "'"), 0);
}

}  // namespace
}  // namespace dbaas::events

#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "dbaas/events/event.hpp"
#include "dbaas/events/jetstream.hpp"
#include "dbaas/store/store.hpp"

namespace dbaas::events {

struct ConsumerConfig {
  /// The durable consumer name (unique per consuming service and purpose, e.g.
  /// "provisioning-tenants"); also the key of processed_events rows. [A-Za-z0-9_-]+.
  std::string durable;
  /// Subjects to receive, e.g. "dbaas.access-control.tenant.*"; must start with "dbaas.".
  std::string filter_subject;
  /// How long JetStream waits for an ack before redelivering.
  std::chrono::milliseconds ack_wait{30000};
  /// Deliveries before JetStream gives a message up.
  int max_deliver = 10;
  /// Messages fetched per request.
  int batch = 10;
  /// Redelivery delay after a handler failure, doubled per attempt up to max_nak_delay.
  std::chrono::milliseconds nak_delay{1000};
  std::chrono::milliseconds max_nak_delay{60000};
  /// How long one fetch of the background loop waits for messages.
  std::chrono::milliseconds fetch_wait{1000};
  /// processed_events rows of this consumer older than this are deleted by the background
  /// loop; keep it longer than the stream's message age so no redelivery outlives its row.
  std::chrono::milliseconds processed_retention{std::chrono::hours(24 * 14)};
};

/// Handles one event inside the transaction that also records it as processed; throw to have
/// it redelivered later (the transaction is rolled back).
using EventHandler = std::function<void(const Event&, store::Tx&)>;
/// Handles the not yet processed events of one fetched batch inside one transaction (for
/// high-volume consumers where a transaction per event costs too much).
using BatchEventHandler = std::function<void(std::span<const Event>, store::Tx&)>;

/// A durable JetStream pull consumer with explicit acks and exactly-once effects: each
/// message is handled in one store transaction that also inserts (durable, event id) into
/// processed_events, committed before the ack. A redelivered event that was already committed
/// is acked without calling the handler. A handler failure naks with a delay; after
/// max_deliver attempts JetStream drops the message and the consumer logs an error. Messages
/// that are not Envelopes are logged and terminated. Start/Stop are not thread-safe against
/// each other; RunOnce must not run concurrently with the background loop.
class Consumer {
 public:
  /// `pool` and `jetstream` must outlive the consumer. Throws Error{INVALID_ARGUMENT} for an
  /// invalid configuration. Does not contact NATS.
  Consumer(store::Pool& pool, JetStream& jetstream, ConsumerConfig config, EventHandler handler);
  /// A consumer that handles each fetched batch in one transaction: every event of the batch
  /// not yet in processed_events is passed to `handler` at once, and all are acked after the
  /// commit. When that transaction fails, the batch is handled again one event per transaction
  /// (the handler gets one-event spans), so one bad event cannot hold up the others.
  Consumer(store::Pool& pool, JetStream& jetstream, ConsumerConfig config,
           BatchEventHandler handler);
  /// Stops the background loop. The durable consumer stays on the server.
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  /// Starts the background fetch loop (it creates the durable consumer when NATS is
  /// reachable and retries with backoff otherwise); a second call does nothing.
  void Start();
  /// Stops and joins the loop; returns within about fetch_wait plus one handler run.
  void Stop();
  /// Fetches one batch, waiting up to `wait` for the first message, and processes it; returns
  /// the number of messages handled or skipped as duplicates. Throws Error{UNAVAILABLE} when
  /// NATS cannot be reached.
  int RunOnce(std::chrono::milliseconds wait);

  /// Test hook modelling a crash between commit and ack: the next `count` messages are
  /// processed and committed but neither acked nor nak'd, so JetStream redelivers them after
  /// ack_wait.
  void SkipAcksForTesting(int count);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbaas::events

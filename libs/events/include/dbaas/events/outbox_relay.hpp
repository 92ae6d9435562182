#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "dbaas/events/jetstream.hpp"
#include "dbaas/store/store.hpp"

namespace dbaas::events {

struct RelayConfig {
  /// How often an idle relay looks for new outbox rows.
  std::chrono::milliseconds poll_interval{500};
  /// Rows published per transaction.
  int batch_size = 100;
  /// Longest wait between attempts while NATS keeps failing (the wait doubles from
  /// poll_interval up to this).
  std::chrono::milliseconds max_backoff{10000};
  /// Published rows older than this are deleted from the outbox.
  std::chrono::milliseconds retention{std::chrono::hours(24)};
  /// How often the relay deletes expired rows.
  std::chrono::milliseconds cleanup_interval{std::chrono::minutes(10)};
};

/// Publishes committed outbox rows to JetStream in outbox order and marks them published.
/// Several relays (one per service replica) may share one outbox: a transaction-scoped
/// advisory lock lets one publish at a time, so order is kept and no row is processed twice
/// concurrently; a publish repeated after a crash is de-duplicated by JetStream through the
/// event id. When NATS is down, rows stay pending and the relay retries with backoff.
/// Start/Stop are not thread-safe against each other; the other methods are thread-safe.
class OutboxRelay {
 public:
  /// `pool` and `jetstream` must outlive the relay.
  OutboxRelay(store::Pool& pool, JetStream& jetstream, RelayConfig config = {});
  /// Stops the background thread.
  ~OutboxRelay();
  OutboxRelay(const OutboxRelay&) = delete;
  OutboxRelay& operator=(const OutboxRelay&) = delete;

  /// Starts the background thread; a second call does nothing.
  void Start();
  /// Wakes the background thread to publish now instead of at the next poll.
  void Notify();
  /// Stops and joins the background thread; returns within about one publish timeout.
  void Stop();
  /// Publishes one batch synchronously; returns the number of rows marked published. Stops at
  /// the first row NATS does not acknowledge (that row and later ones stay pending) and then
  /// throws Error{UNAVAILABLE} after committing the rows published before it. Returns 0 when
  /// another relay holds the outbox lock.
  int RunOnce();
  /// Deletes published rows older than the retention; returns how many.
  int DeleteExpired();
  /// Rows not yet published.
  std::size_t Pending();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbaas::events

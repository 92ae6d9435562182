#include "dbaas/events/outbox_relay.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "dbaas/common/error.hpp"
#include "dbaas/common/log.hpp"
#include "outbox_row.hpp"

namespace dbaas::events {
namespace {

// Transaction-scoped advisory lock key ("dbaasevt") serialising relays that share an outbox,
// so events leave in seq order even with several service replicas.
constexpr std::string_view kLockSql =
    "SELECT pg_try_advisory_xact_lock(7233451022686189172) AS locked";

}  // namespace

struct OutboxRelay::Impl {
  store::Pool& pool;
  JetStream& jetstream;
  RelayConfig config;

  std::thread thread;
  std::mutex mutex;
  std::condition_variable wake;
  bool running = false;
  bool notified = false;

  Impl(store::Pool& p, JetStream& js, RelayConfig c) : pool(p), jetstream(js), config(c) {}

  int RunOnce();
  int DeleteExpired();
  void Loop();
  // Waits up to `timeout` unless notified or stopped; returns false when stopping.
  bool Sleep(std::chrono::milliseconds timeout);
};

int OutboxRelay::Impl::RunOnce() {
  int published = 0;
  std::optional<Error> failure;
  pool.InTransaction([&](store::Tx& tx) {
    published = 0;
    failure.reset();
    if (!tx.Exec(kLockSql)[0].GetBool("locked")) return;
    auto rows = tx.Exec("SELECT " + std::string(detail::kOutboxColumns) +
                            " FROM event_outbox WHERE published_at IS NULL ORDER BY seq"
                            " LIMIT $1 FOR UPDATE SKIP LOCKED",
                        {std::to_string(std::max(1, config.batch_size))});
    std::string done;
    for (const auto& row : rows) {
      try {
        jetstream.Publish(detail::EventFromRow(row));
      } catch (const Error& e) {
        // Later rows wait too, so consumers never see an event before its predecessors.
        failure = e;
        tx.Exec("UPDATE event_outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = $1",
                {row.Get("seq"), std::string(e.what())});
        break;
      }
      done += done.empty() ? "{" : ",";
      done += row.Get("seq");
      ++published;
    }
    if (!done.empty()) {
      tx.Exec("UPDATE event_outbox SET published_at = now() WHERE seq = ANY($1::bigint[])",
              {done + "}"});
    }
  });
  if (failure) throw *failure;
  return published;
}

int OutboxRelay::Impl::DeleteExpired() {
  return static_cast<int>(
      pool.Exec("DELETE FROM event_outbox WHERE published_at < now() - $1::bigint * "
                "interval '1 millisecond'",
                {std::to_string(config.retention.count())})
          .Affected());
}

bool OutboxRelay::Impl::Sleep(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex);
  wake.wait_for(lock, timeout, [&] { return !running || notified; });
  notified = false;
  return running;
}

void OutboxRelay::Impl::Loop() {
  auto backoff = config.poll_interval;
  bool failing = false;
  auto next_cleanup = std::chrono::steady_clock::now() + config.cleanup_interval;
  for (;;) {
    {
      std::lock_guard lock(mutex);
      if (!running) return;
    }
    bool more = false;
    try {
      more = RunOnce() >= config.batch_size;
      if (failing) log::Info("outbox relay publishing again");
      failing = false;
      backoff = config.poll_interval;
    } catch (const std::exception& e) {
      if (!failing) log::Warn("outbox relay cannot publish; retrying", {{"error", e.what()}});
      failing = true;
      backoff = std::min(backoff * 2, std::max(config.max_backoff, config.poll_interval));
    }
    if (std::chrono::steady_clock::now() >= next_cleanup) {
      next_cleanup = std::chrono::steady_clock::now() + config.cleanup_interval;
      try {
        const int removed = DeleteExpired();
        if (removed > 0) log::Debug("expired outbox rows deleted", {{"rows", removed}});
      } catch (const std::exception& e) {
        log::Warn("outbox cleanup failed", {{"error", e.what()}});
      }
    }
    if (more && !failing) continue;
    if (!Sleep(failing ? backoff : config.poll_interval)) return;
  }
}

OutboxRelay::OutboxRelay(store::Pool& pool, JetStream& jetstream, RelayConfig config)
    : impl_(std::make_unique<Impl>(pool, jetstream, config)) {}

OutboxRelay::~OutboxRelay() {
  Stop();
}

void OutboxRelay::Start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->running) return;
  impl_->running = true;
  impl_->thread = std::thread([this] { impl_->Loop(); });
}

void OutboxRelay::Notify() {
  std::lock_guard lock(impl_->mutex);
  impl_->notified = true;
  impl_->wake.notify_all();
}

void OutboxRelay::Stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->running = false;
    impl_->wake.notify_all();
  }
  if (impl_->thread.joinable()) impl_->thread.join();
}

int OutboxRelay::RunOnce() {
  return impl_->RunOnce();
}

int OutboxRelay::DeleteExpired() {
  return impl_->DeleteExpired();
}

std::size_t OutboxRelay::Pending() {
  auto result =
      impl_->pool.Exec("SELECT count(*) AS n FROM event_outbox WHERE published_at IS NULL");
  return static_cast<std::size_t>(result[0].GetInt("n"));
}

}  // namespace dbaas::events

#include "dbaas/events/consumer.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>
#include <string>
#include <thread>

#include "dbaas/common/error.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/events/envelope.hpp"
#include "jetstream_impl.hpp"

namespace dbaas::events {
namespace {

constexpr auto kCleanupInterval = std::chrono::minutes(10);
constexpr auto kMinRetry = std::chrono::milliseconds(100);
constexpr auto kMaxRetry = std::chrono::milliseconds(5000);

bool IsValidDurable(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::int64_t Nanos(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

struct MsgListGuard {
  natsMsgList list{};
  MsgListGuard() = default;
  MsgListGuard(const MsgListGuard&) = delete;
  MsgListGuard& operator=(const MsgListGuard&) = delete;
  ~MsgListGuard() { natsMsgList_Destroy(&list); }
};

// How many times JetStream has delivered `msg`, counting this delivery; 1 when unknown.
std::uint64_t Deliveries(natsMsg* msg) {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) != NATS_OK || meta == nullptr) return 1;
  const std::uint64_t n = meta->NumDelivered;
  jsMsgMetaData_Destroy(meta);
  return n;
}

// The Envelope in `msg`; throws Error{INVALID_ARGUMENT} when it is none.
Event DecodeMessage(natsMsg* msg) {
  const char* data = natsMsg_GetData(msg);
  const int length = natsMsg_GetDataLength(msg);
  return DecodeEnvelope(std::string_view(data == nullptr ? "" : data,
                                         static_cast<std::size_t>(std::max(0, length))));
}

}  // namespace

struct Consumer::Impl {
  store::Pool& pool;
  JetStream& jetstream;
  ConsumerConfig config;
  EventHandler handler;
  /// Set for batch consumers; `handler` then wraps it for one-event fallbacks.
  BatchEventHandler batch_handler;

  natsSubscription* subscription = nullptr;
  std::atomic<int> skip_acks{0};

  std::thread thread;
  std::mutex mutex;
  std::condition_variable wake;
  bool running = false;

  Impl(store::Pool& p, JetStream& js, ConsumerConfig c, EventHandler h)
      : pool(p), jetstream(js), config(std::move(c)), handler(std::move(h)) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { DropSubscription(); }

  JetStream::Impl& Nats() { return *jetstream.impl_; }
  void DropSubscription();
  void EnsureSubscription();
  int RunOnce(std::chrono::milliseconds wait);
  int Process(natsMsg* msg);
  std::optional<Event> Decode(natsMsg* msg);
  bool ProcessBatch(natsMsgList& list);
  void Ack(natsMsg* msg, const Event& event);
  void DeleteExpired();
  void Loop();
};

void Consumer::Impl::DropSubscription() {
  // Destroy (not Unsubscribe) keeps the durable consumer on the server (nats.c >= 3.4).
  if (subscription != nullptr) natsSubscription_Destroy(subscription);
  subscription = nullptr;
}

void Consumer::Impl::EnsureSubscription() {
  if (subscription != nullptr) return;
  jetstream.EnsureStream();
  auto& nats = Nats();
  const std::string& stream = jetstream.Config().stream;

  jsConsumerConfig consumer;
  jsConsumerConfig_Init(&consumer);
  consumer.Durable = config.durable.c_str();
  consumer.FilterSubject = config.filter_subject.c_str();
  consumer.DeliverPolicy = js_DeliverAll;
  consumer.AckPolicy = js_AckExplicit;
  consumer.AckWait = Nanos(config.ack_wait);
  consumer.MaxDeliver = config.max_deliver;

  jsConsumerInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status =
      js_AddConsumer(&info, nats.context, stream.c_str(), &consumer, &nats.api_options, &code);
  if (status != NATS_OK && code != 0) {
    // The durable exists with an older configuration (e.g. a changed ack_wait): update it.
    status =
        js_UpdateConsumer(&info, nats.context, stream.c_str(), &consumer, &nats.api_options, &code);
  }
  if (info != nullptr) jsConsumerInfo_Destroy(info);
  if (status != NATS_OK) {
    throw Error(ErrorCode::kUnavailable,
                detail::NatsFailure("creating JetStream consumer " + config.durable, status, code));
  }

  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = stream.c_str();
  options.Consumer = config.durable.c_str();
  status = js_PullSubscribe(&subscription, nats.context, config.filter_subject.c_str(),
                            config.durable.c_str(), &nats.api_options, &options, &code);
  if (status != NATS_OK) {
    subscription = nullptr;
    throw Error(ErrorCode::kUnavailable,
                detail::NatsFailure("subscribing to consumer " + config.durable, status, code));
  }
}

int Consumer::Impl::RunOnce(std::chrono::milliseconds wait) {
  if (!jetstream.Connected()) throw Error(ErrorCode::kUnavailable, "NATS is not connected");
  EnsureSubscription();
  MsgListGuard batch;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = natsSubscription_Fetch(&batch.list, subscription, std::max(1, config.batch),
                                             std::max<std::int64_t>(1, wait.count()), &code);
  if (status == NATS_TIMEOUT) return 0;
  if (status != NATS_OK) {
    // Re-create the subscription next time in case the consumer vanished on the server.
    DropSubscription();
    throw Error(ErrorCode::kUnavailable,
                detail::NatsFailure("fetching from consumer " + config.durable, status, code));
  }
  if (batch_handler && batch.list.Count > 1 && ProcessBatch(batch.list)) {
    return batch.list.Count;
  }
  int processed = 0;
  for (int i = 0; i < batch.list.Count; ++i) processed += Process(batch.list.Msgs[i]);
  return processed;
}

std::optional<Event> Consumer::Impl::Decode(natsMsg* msg) {
  try {
    return DecodeMessage(msg);
  } catch (const Error& e) {
    log::Error(
        "undecodable event terminated",
        {{"consumer", config.durable}, {"subject", natsMsg_GetSubject(msg)}, {"error", e.what()}});
    natsMsg_Term(msg, nullptr);
    return std::nullopt;
  }
}

// All events of `list` in one transaction; false (nothing acked, nothing committed) when it
// fails, and the caller handles them one by one. Undecodable messages are terminated here and
// must not be handled again: the caller only retries on false, before which none is touched.
bool Consumer::Impl::ProcessBatch(natsMsgList& list) {
  std::vector<Event> events;
  events.reserve(static_cast<std::size_t>(list.Count));
  for (int i = 0; i < list.Count; ++i) {
    try {
      events.push_back(DecodeMessage(list.Msgs[i]));
    } catch (const Error&) {
      return false;  // the one-by-one path terminates and logs it
    }
  }
  try {
    pool.InTransaction([&](store::Tx& tx) {
      std::vector<Event> fresh;
      fresh.reserve(events.size());
      for (const auto& event : events) {
        auto inserted = tx.Exec(
            "INSERT INTO processed_events (consumer, event_id, subject) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING",
            {config.durable, event.id, event.subject});
        if (inserted.Affected() > 0) fresh.push_back(event);
      }
      if (!fresh.empty()) batch_handler(fresh, tx);
    });
  } catch (const std::exception& e) {
    log::Warn("event batch failed; handling its events one by one",
              {{"consumer", config.durable},
               {"events", static_cast<std::int64_t>(events.size())},
               {"error", e.what()}});
    return false;
  }
  for (int i = 0; i < list.Count; ++i) Ack(list.Msgs[i], events[static_cast<std::size_t>(i)]);
  return true;
}

void Consumer::Impl::Ack(natsMsg* msg, const Event& event) {
  if (skip_acks.load() > 0) {
    --skip_acks;
    return;
  }
  natsStatus status = natsMsg_Ack(msg, nullptr);
  if (status != NATS_OK) {
    // Harmless: the redelivery finds the processed_events row and is acked without effects.
    log::Warn("ack failed; the event will be redelivered and skipped",
              {{"consumer", config.durable},
               {"event_id", event.id},
               {"error", natsStatus_GetText(status)}});
  }
}

int Consumer::Impl::Process(natsMsg* msg) {
  auto decoded = Decode(msg);
  if (!decoded) return 0;
  const Event& event = *decoded;

  try {
    pool.InTransaction([&](store::Tx& tx) {
      auto inserted = tx.Exec(
          "INSERT INTO processed_events (consumer, event_id, subject) VALUES ($1, $2, $3) "
          "ON CONFLICT DO NOTHING",
          {config.durable, event.id, event.subject});
      if (inserted.Affected() == 0) return;
      handler(event, tx);
    });
  } catch (const std::exception& e) {
    const std::uint64_t deliveries = Deliveries(msg);
    if (config.max_deliver > 0 && deliveries >= static_cast<std::uint64_t>(config.max_deliver)) {
      log::Error("event dropped after its last delivery failed",
                 {{"consumer", config.durable},
                  {"event_id", event.id},
                  {"subject", event.subject},
                  {"deliveries", static_cast<std::int64_t>(deliveries)},
                  {"error", e.what()}});
      natsMsg_Term(msg, nullptr);
      return 0;
    }
    auto delay =
        config.nak_delay * (std::int64_t{1} << std::min<std::uint64_t>(deliveries - 1, 16));
    delay = std::min(delay, std::max(config.max_nak_delay, config.nak_delay));
    log::Warn("event handler failed; redelivering later",
              {{"consumer", config.durable},
               {"event_id", event.id},
               {"subject", event.subject},
               {"deliveries", static_cast<std::int64_t>(deliveries)},
               {"retry_in_ms", static_cast<std::int64_t>(delay.count())},
               {"error", e.what()}});
    natsMsg_NakWithDelay(msg, delay.count(), nullptr);
    return 0;
  }
  Ack(msg, event);
  return 1;
}

void Consumer::Impl::DeleteExpired() {
  pool.Exec(
      "DELETE FROM processed_events WHERE consumer = $1 AND processed_at < now() - $2::bigint * "
      "interval '1 millisecond'",
      {config.durable, std::to_string(config.processed_retention.count())});
}

void Consumer::Impl::Loop() {
  auto backoff = kMinRetry;
  bool failing = false;
  auto next_cleanup = std::chrono::steady_clock::now() + kCleanupInterval;
  for (;;) {
    {
      std::lock_guard lock(mutex);
      if (!running) return;
    }
    try {
      RunOnce(config.fetch_wait);
      if (failing) log::Info("event consumer receiving again", {{"consumer", config.durable}});
      failing = false;
      backoff = kMinRetry;
    } catch (const std::exception& e) {
      if (!failing) {
        log::Warn("event consumer cannot fetch; retrying",
                  {{"consumer", config.durable}, {"error", e.what()}});
      }
      failing = true;
      std::unique_lock lock(mutex);
      wake.wait_for(lock, backoff, [&] { return !running; });
      backoff = std::min(backoff * 2, kMaxRetry);
    }
    if (std::chrono::steady_clock::now() >= next_cleanup) {
      next_cleanup = std::chrono::steady_clock::now() + kCleanupInterval;
      try {
        DeleteExpired();
      } catch (const std::exception& e) {
        log::Warn("processed_events cleanup failed",
                  {{"consumer", config.durable}, {"error", e.what()}});
      }
    }
  }
}

Consumer::Consumer(store::Pool& pool, JetStream& jetstream, ConsumerConfig config,
                   BatchEventHandler handler)
    : Consumer(pool, jetstream, std::move(config),
               handler ? EventHandler([handler](const Event& e, store::Tx& tx) {
                 handler(std::span<const Event>(&e, 1), tx);
               })
                       : EventHandler{}) {
  impl_->batch_handler = std::move(handler);
}

Consumer::Consumer(store::Pool& pool, JetStream& jetstream, ConsumerConfig config,
                   EventHandler handler) {
  if (!IsValidDurable(config.durable)) {
    throw Error(ErrorCode::kInvalidArgument,
                "consumer durable name \"" + config.durable + "\" must be [A-Za-z0-9_-]+");
  }
  if (!config.filter_subject.starts_with("dbaas.")) {
    throw Error(ErrorCode::kInvalidArgument,
                "consumer filter subject \"" + config.filter_subject + "\" must start with dbaas.");
  }
  if (!handler) throw Error(ErrorCode::kInvalidArgument, "consumer needs a handler");
  impl_ = std::make_unique<Impl>(pool, jetstream, std::move(config), std::move(handler));
}

Consumer::~Consumer() {
  Stop();
}

void Consumer::Start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->running) return;
  impl_->running = true;
  impl_->thread = std::thread([this] { impl_->Loop(); });
}

void Consumer::Stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->running = false;
    impl_->wake.notify_all();
  }
  if (impl_->thread.joinable()) impl_->thread.join();
}

int Consumer::RunOnce(std::chrono::milliseconds wait) {
  return impl_->RunOnce(wait);
}

void Consumer::SkipAcksForTesting(int count) {
  impl_->skip_acks = count;
}

}  // namespace dbaas::events

#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "dbaas/common/config.hpp"
#include "dbaas/events/event.hpp"

namespace dbaas::events {

/// How to reach NATS JetStream.
struct NatsConfig {
  /// Server URL(s), comma separated, e.g. "nats://127.0.0.1:4222".
  std::string url = "nats://127.0.0.1:4222";
  /// The one stream every dbaas event goes to; it captures subjects "dbaas.>".
  std::string stream = "DBAAS";
  /// Client name shown by the server (the service name).
  std::string name;
  /// Timeout of one connection attempt.
  std::chrono::milliseconds connect_timeout{2000};
  /// How long Publish waits for the stream's acknowledgement, and JetStream API calls for
  /// their answer.
  std::chrono::milliseconds request_timeout{5000};
  /// Reconnect delay grows from min to max (doubling, with jitter); reconnects never stop.
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{5000};
  /// JetStream's de-duplication window for Nats-Msg-Id; a publish retried within it is stored
  /// once.
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(2)};
  /// How long the stream keeps messages (consumers that fall further behind lose them).
  std::chrono::milliseconds max_age{std::chrono::hours(24 * 7)};

  /// Reads DBAAS_NATS_URL and DBAAS_NATS_STREAM (problems are recorded in `config`).
  static NatsConfig FromEnv(ConfigReader& config, std::string client_name);
};

/// The result of one accepted publish.
struct PublishAck {
  /// The message's sequence number in the stream.
  std::uint64_t sequence = 0;
  /// True when the stream already held a message with this Nats-Msg-Id (nothing was added).
  bool duplicate = false;
};

/// One NATS connection and its JetStream context. Construction never fails because NATS is
/// down: the connection is retried in the background forever, and calls made while it is down
/// throw Error{UNAVAILABLE} quickly instead of blocking. Thread-safe.
class JetStream {
 public:
  /// Throws Error{INVALID_ARGUMENT} for an unusable configuration (e.g. a malformed URL) and
  /// Error{UNAVAILABLE} only when the NATS client library itself fails, never for a down server.
  explicit JetStream(NatsConfig config);
  ~JetStream();
  JetStream(const JetStream&) = delete;
  JetStream& operator=(const JetStream&) = delete;

  /// Creates the stream (subjects "dbaas.>", file storage, duplicate_window, max_age) or
  /// updates it to that configuration. Idempotent. Throws Error{UNAVAILABLE} when NATS cannot
  /// be reached or refuses.
  void EnsureStream();
  /// Publishes `e` as an Envelope on subject `e.subject` with headers Nats-Msg-Id, ce-id,
  /// ce-type, ce-source, ce-time (RFC 3339), ce-specversion, ce-tenant and ce-requestid, and
  /// waits up to request_timeout for the stream's acknowledgement. Ensures the stream on
  /// first use. Throws Error{INVALID_ARGUMENT} for an invalid event and Error{UNAVAILABLE}
  /// when not connected or not acknowledged.
  PublishAck Publish(const Event& e);
  /// Publishes every event of `events` pipelined (without waiting for each acknowledgement)
  /// and then waits up to request_timeout for all of them. Returns only when the stream
  /// acknowledged every one; otherwise throws Error{UNAVAILABLE} and the caller publishes the
  /// whole batch again, which JetStream de-duplicates by event id within duplicate_window.
  /// Throws Error{INVALID_ARGUMENT} (sending nothing) when any event is invalid. Batches are
  /// sent one at a time.
  void PublishBatch(std::span<const Event> events);
  /// True while connected to a server (for /readyz).
  bool Connected() const;
  const NatsConfig& Config() const noexcept { return config_; }

 private:
  friend class Consumer;
  struct Impl;
  NatsConfig config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbaas::events

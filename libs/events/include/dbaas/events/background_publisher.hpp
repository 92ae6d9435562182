#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "dbaas/events/event.hpp"
#include "dbaas/events/jetstream.hpp"

namespace dbaas::events {

struct BackgroundPublisherConfig {
  /// Events held in memory while NATS is slow or away; Offer refuses more.
  std::size_t capacity = 100'000;
  /// Events sent per PublishBatch.
  std::size_t batch = 512;
  /// Retry delay after a failed batch, doubling up to retry_max.
  std::chrono::milliseconds retry_min{100};
  std::chrono::milliseconds retry_max{5000};
};

/// Publishes events off the caller's thread: Offer() queues an event in memory and returns at
/// once; one background thread sends queued events in pipelined batches (JetStream::PublishBatch)
/// and retries a failed batch until the stream acknowledges it (JetStream de-duplicates retries
/// by event id). For high-volume events that must not add a NATS round trip to a request (the
/// gateway's audit records); state changes use the transactional outbox instead. What is still
/// queued when the process dies is lost, and Offer refuses events while the queue is full:
/// both are counted. Thread-safe.
class BackgroundPublisher {
 public:
  /// `jetstream` must outlive the publisher. Does not start the thread.
  BackgroundPublisher(JetStream& jetstream, BackgroundPublisherConfig config = {});
  /// Stop() with no drain time.
  ~BackgroundPublisher();
  BackgroundPublisher(const BackgroundPublisher&) = delete;
  BackgroundPublisher& operator=(const BackgroundPublisher&) = delete;

  /// Queues `e`; false (and counted as dropped) when the queue is full or the publisher stopped.
  bool Offer(Event e);
  /// Starts the sending thread; a second call does nothing.
  void Start();
  /// Keeps sending for up to `drain` while events are queued, then stops the thread. What is
  /// left is counted as dropped.
  void Stop(std::chrono::milliseconds drain = std::chrono::milliseconds(0));

  /// Events queued and not yet acknowledged by the stream.
  std::size_t Pending() const;
  /// Events acknowledged by the stream so far.
  std::uint64_t Published() const;
  /// Events refused by Offer or abandoned at Stop.
  std::uint64_t Dropped() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbaas::events

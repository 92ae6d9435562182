#pragma once

#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "dbaas/events/jetstream.hpp"

namespace dbaas::events {

/// The NATS handles behind JetStream; shared with Consumer.
struct JetStream::Impl {
  natsOptions* options = nullptr;
  natsConnection* connection = nullptr;
  jsCtx* context = nullptr;
  /// JetStream API options (request timeout) for calls made through `context`.
  jsOptions api_options{};
  std::mutex stream_mutex;
  std::atomic<bool> stream_ready{false};
  /// A second context for PublishBatch, whose error handler counts into async_failures; one
  /// batch at a time.
  jsCtx* async_context = nullptr;
  std::mutex async_mutex;
  std::atomic<std::int64_t> async_failures{0};

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl();
};

namespace detail {

/// "<what>: <status text> (<last error>, JetStream error <code>)" for exception messages.
std::string NatsFailure(std::string_view what, natsStatus status,
                        jsErrCode code = static_cast<jsErrCode>(0));

}  // namespace detail
}  // namespace dbaas::events

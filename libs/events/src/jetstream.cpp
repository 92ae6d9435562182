#include "dbaas/events/jetstream.hpp"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "dbaas/common/error.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/events/envelope.hpp"
#include "jetstream_impl.hpp"

namespace dbaas::events {
namespace {

constexpr const char* kStreamSubjects[] = {"dbaas.>"};

std::int64_t Nanos(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

std::vector<std::string> SplitUrls(const std::string& urls) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= urls.size()) {
    auto end = urls.find(',', start);
    if (end == std::string::npos) end = urls.size();
    std::string url = urls.substr(start, end - start);
    url.erase(0, url.find_first_not_of(' '));
    url.erase(url.find_last_not_of(' ') + 1);
    if (!url.empty()) out.push_back(std::move(url));
    start = end + 1;
  }
  return out;
}

bool IsValidUrl(std::string_view url) {
  return url.starts_with("nats://") || url.starts_with("tls://");
}

bool IsValidStreamName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

// Exponential backoff with jitter so a fleet of services does not reconnect in lock-step.
std::int64_t ReconnectDelay(natsConnection*, int attempts, void* closure) {
  const auto& config = *static_cast<const NatsConfig*>(closure);
  const std::int64_t min = std::max<std::int64_t>(1, config.reconnect_min.count());
  const std::int64_t max = std::max(min, static_cast<std::int64_t>(config.reconnect_max.count()));
  std::int64_t delay = min << std::min(attempts, 20);
  delay = std::min(delay, max);
  thread_local std::minstd_rand random(std::random_device{}());
  return delay - static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(delay / 5 + 1));
}

void OnDisconnected(natsConnection* connection, void* closure) {
  // Closing the connection on shutdown also reports a disconnect; that one is expected.
  if (natsConnection_IsClosed(connection)) return;
  log::Warn("NATS connection lost; reconnecting",
            {{"client", static_cast<const NatsConfig*>(closure)->name}});
}

void OnConnected(natsConnection*, void* closure) {
  log::Info("NATS connected", {{"client", static_cast<const NatsConfig*>(closure)->name}});
}

void OnReconnected(natsConnection*, void* closure) {
  log::Info("NATS connection restored",
            {{"client", static_cast<const NatsConfig*>(closure)->name}});
}

void Check(natsStatus status, std::string_view what) {
  if (status != NATS_OK)
    throw Error(ErrorCode::kInvalidArgument, detail::NatsFailure(what, status));
}

struct MsgDeleter {
  void operator()(natsMsg* m) const noexcept { natsMsg_Destroy(m); }
};

void SetHeader(natsMsg* msg, const char* key, const std::string& value) {
  if (value.empty()) return;
  natsStatus status = natsMsgHeader_Set(msg, key, value.c_str());
  if (status != NATS_OK) {
    throw Error(ErrorCode::kInternal, detail::NatsFailure("setting a NATS header", status));
  }
}

}  // namespace

namespace detail {

std::string NatsFailure(std::string_view what, natsStatus status, jsErrCode code) {
  std::string text(what);
  text += ": ";
  text += natsStatus_GetText(status);
  natsStatus last = NATS_OK;
  const char* last_text = nats_GetLastError(&last);
  if (last_text != nullptr && *last_text != '\0') {
    text += " (";
    text += last_text;
    text += ")";
  }
  if (code != 0) text += " [JetStream error " + std::to_string(static_cast<int>(code)) + "]";
  return text;
}

}  // namespace detail

JetStream::Impl::~Impl() {
  if (async_context != nullptr) jsCtx_Destroy(async_context);
  if (context != nullptr) jsCtx_Destroy(context);
  if (connection != nullptr) natsConnection_Destroy(connection);
  if (options != nullptr) natsOptions_Destroy(options);
}

NatsConfig NatsConfig::FromEnv(ConfigReader& config, std::string client_name) {
  NatsConfig out;
  out.url = config.String("DBAAS_NATS_URL", out.url);
  auto urls = SplitUrls(out.url);
  if (urls.empty() || !std::all_of(urls.begin(), urls.end(), IsValidUrl)) {
    config.Fail("DBAAS_NATS_URL", "must be one or more comma-separated nats:// or tls:// URLs");
  }
  out.stream = config.String("DBAAS_NATS_STREAM", out.stream);
  if (!IsValidStreamName(out.stream)) {
    config.Fail("DBAAS_NATS_STREAM", "must be a stream name of [A-Za-z0-9_-]");
  }
  out.name = std::move(client_name);
  return out;
}

JetStream::JetStream(NatsConfig config)
    : config_(std::move(config)), impl_(std::make_unique<Impl>()) {
  auto urls = SplitUrls(config_.url);
  if (urls.empty() || !std::all_of(urls.begin(), urls.end(), IsValidUrl)) {
    throw Error(ErrorCode::kInvalidArgument,
                "NATS URL \"" + config_.url + "\" is not nats://host:port");
  }
  if (!IsValidStreamName(config_.stream)) {
    throw Error(ErrorCode::kInvalidArgument,
                "NATS stream name \"" + config_.stream + "\" is invalid");
  }
  std::vector<const char*> servers;
  for (const auto& url : urls) servers.push_back(url.c_str());

  Check(natsOptions_Create(&impl_->options), "creating NATS options");
  natsOptions* o = impl_->options;
  Check(natsOptions_SetServers(o, servers.data(), static_cast<int>(servers.size())),
        "NATS servers");
  if (!config_.name.empty())
    Check(natsOptions_SetName(o, config_.name.c_str()), "NATS client name");
  Check(natsOptions_SetTimeout(o, config_.connect_timeout.count()), "NATS connect timeout");
  Check(natsOptions_SetAllowReconnect(o, true), "NATS reconnect");
  Check(natsOptions_SetMaxReconnect(o, -1), "NATS max reconnect");
  Check(natsOptions_SetCustomReconnectDelay(o, ReconnectDelay, &config_), "NATS reconnect delay");
  Check(natsOptions_SetDisconnectedCB(o, OnDisconnected, &config_), "NATS disconnect callback");
  Check(natsOptions_SetReconnectedCB(o, OnReconnected, &config_), "NATS reconnect callback");
  // Keep retrying in the background when no server answers yet, instead of failing start-up.
  Check(natsOptions_SetRetryOnFailedConnect(o, true, OnConnected, &config_), "NATS retry");

  natsStatus status = natsConnection_Connect(&impl_->connection, o);
  if (status == NATS_NOT_YET_CONNECTED) {
    log::Warn("NATS not reachable at start; connecting in the background",
              {{"url", config_.url}, {"client", config_.name}});
  } else if (status != NATS_OK) {
    throw Error(ErrorCode::kUnavailable, detail::NatsFailure("connecting to NATS", status));
  }
  Check(jsOptions_Init(&impl_->api_options), "JetStream options");
  impl_->api_options.Wait = config_.request_timeout.count();
  jsOptions context_options = impl_->api_options;
  Check(natsConnection_JetStream(&impl_->context, impl_->connection, &context_options),
        "creating the JetStream context");
}

JetStream::~JetStream() = default;

bool JetStream::Connected() const {
  return natsConnection_Status(impl_->connection) == NATS_CONN_STATUS_CONNECTED;
}

void JetStream::EnsureStream() {
  if (!Connected()) throw Error(ErrorCode::kUnavailable, "NATS is not connected");
  std::lock_guard lock(impl_->stream_mutex);
  jsStreamConfig stream;
  jsStreamConfig_Init(&stream);
  stream.Name = config_.stream.c_str();
  stream.Subjects = const_cast<const char**>(kStreamSubjects);
  stream.SubjectsLen = 1;
  stream.Storage = js_FileStorage;
  stream.Retention = js_LimitsPolicy;
  stream.Duplicates = Nanos(config_.duplicate_window);
  stream.MaxAge = Nanos(config_.max_age);

  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_AddStream(&info, impl_->context, &stream, &impl_->api_options, &code);
  if (status != NATS_OK && code == JSStreamNameExistErr) {
    status = js_UpdateStream(&info, impl_->context, &stream, &impl_->api_options, &code);
  }
  if (info != nullptr) jsStreamInfo_Destroy(info);
  if (status != NATS_OK) {
    throw Error(ErrorCode::kUnavailable,
                detail::NatsFailure("creating JetStream stream " + config_.stream, status, code));
  }
  impl_->stream_ready = true;
}

namespace {

// The NATS message for `e`: its Envelope with the CloudEvents headers.
std::unique_ptr<natsMsg, MsgDeleter> BuildMessage(const Event& e) {
  const std::string body = EncodeEnvelope(e);
  natsMsg* raw = nullptr;
  natsStatus status =
      natsMsg_Create(&raw, e.subject.c_str(), nullptr, body.data(), static_cast<int>(body.size()));
  if (status != NATS_OK) {
    throw Error(ErrorCode::kInternal, detail::NatsFailure("creating a NATS message", status));
  }
  std::unique_ptr<natsMsg, MsgDeleter> msg(raw);
  SetHeader(raw, "ce-specversion", "1.0");
  SetHeader(raw, "ce-id", e.id);
  SetHeader(raw, "ce-type", e.subject);
  SetHeader(raw, "ce-source", e.source);
  SetHeader(raw, "ce-time", FormatRfc3339(e.time));
  SetHeader(raw, "ce-tenant", e.tenant_id);
  SetHeader(raw, "ce-requestid", e.request_id);
  SetHeader(raw, "ce-dataschema", e.payload_type);
  SetHeader(raw, "content-type", "application/protobuf");
  return msg;
}

}  // namespace

PublishAck JetStream::Publish(const Event& e) {
  ValidateEvent(e);
  if (!Connected()) throw Error(ErrorCode::kUnavailable, "NATS is not connected");
  if (!impl_->stream_ready) EnsureStream();

  auto msg = BuildMessage(e);
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MsgId = e.id.c_str();
  options.ExpectStream = config_.stream.c_str();
  options.MaxWait = config_.request_timeout.count();
  jsPubAck* ack = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_PublishMsg(&ack, impl_->context, msg.get(), &options, &code);
  if (status != NATS_OK) {
    // No responders means no stream captures the subject (deleted behind our back): recreate
    // it on the next attempt.
    if (status == NATS_NO_RESPONDERS) impl_->stream_ready = false;
    if (ack != nullptr) jsPubAck_Destroy(ack);
    throw Error(ErrorCode::kUnavailable,
                detail::NatsFailure("publishing event " + e.id + " to " + e.subject, status, code));
  }
  PublishAck result;
  if (ack != nullptr) {
    result.sequence = ack->Sequence;
    result.duplicate = ack->Duplicate;
    jsPubAck_Destroy(ack);
  }
  return result;
}

namespace {

// Counts the asynchronous publishes the stream refused or never acknowledged.
void OnAsyncPublishError(jsCtx*, jsPubAckErr* error, void* closure) {
  static_cast<std::atomic<std::int64_t>*>(closure)->fetch_add(1);
  if (error != nullptr && error->ErrText != nullptr) {
    log::Debug("asynchronous publish failed", {{"error", error->ErrText}});
  }
}

}  // namespace

void JetStream::PublishBatch(std::span<const Event> events) {
  for (const auto& e : events) ValidateEvent(e);
  if (events.empty()) return;
  if (!Connected()) throw Error(ErrorCode::kUnavailable, "NATS is not connected");
  if (!impl_->stream_ready) EnsureStream();

  std::lock_guard lock(impl_->async_mutex);
  if (impl_->async_context == nullptr) {
    jsOptions options = impl_->api_options;
    options.PublishAsync.ErrHandler = OnAsyncPublishError;
    options.PublishAsync.ErrHandlerClosure = &impl_->async_failures;
    options.PublishAsync.MaxPending = 4096;
    natsStatus status = natsConnection_JetStream(&impl_->async_context, impl_->connection, &options);
    if (status != NATS_OK) {
      impl_->async_context = nullptr;
      throw Error(ErrorCode::kUnavailable,
                  detail::NatsFailure("creating the asynchronous JetStream context", status));
    }
  }
  impl_->async_failures = 0;
  natsStatus status = NATS_OK;
  for (const auto& e : events) {
    auto msg = BuildMessage(e);
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MsgId = e.id.c_str();
    options.ExpectStream = config_.stream.c_str();
    natsMsg* raw = msg.get();
    status = js_PublishMsgAsync(impl_->async_context, &raw, &options);
    if (status != NATS_OK) break;
    (void)msg.release();  // the library owns (and destroys) a message it accepted
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = config_.request_timeout.count();
  const natsStatus completed = js_PublishAsyncComplete(impl_->async_context, &wait);
  if (completed != NATS_OK) {
    // Drop what is still in flight; the caller publishes the whole batch again.
    natsMsgList pending{};
    if (js_PublishAsyncGetPendingList(&pending, impl_->async_context) == NATS_OK) {
      natsMsgList_Destroy(&pending);
    }
  }
  if (status != NATS_OK || completed != NATS_OK || impl_->async_failures.load() > 0) {
    const natsStatus failed = status != NATS_OK ? status : completed;
    throw Error(ErrorCode::kUnavailable,
                detail::NatsFailure("publishing " + std::to_string(events.size()) +
                                        " events (" + std::to_string(impl_->async_failures.load()) +
                                        " refused)",
                                    failed == NATS_OK ? NATS_ERR : failed));
  }
}

}  // namespace dbaas::events

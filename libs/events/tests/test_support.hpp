#pragma once

#include <nats/nats.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "dbaas/events/envelope.hpp"
#include "dbaas/events/jetstream.hpp"
#include "dbaas/events/outbox.hpp"
#include "dbaas/store/store.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::events::test {

using namespace std::chrono_literals;

/// NATS settings that notice a restarted server quickly.
inline NatsConfig FastNats(const std::string& url, const std::string& name = "events-test") {
  NatsConfig config;
  config.url = url;
  config.name = name;
  config.connect_timeout = 500ms;
  config.request_timeout = 2000ms;
  config.reconnect_min = 50ms;
  config.reconnect_max = 250ms;
  return config;
}

/// Polls `done` every 20 ms until it is true or `timeout` passes.
inline bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

/// A throwaway PostgreSQL database with the events schema applied, and a pool on it.
struct Database {
  testing::PostgresServer server;
  std::unique_ptr<store::Pool> pool;

  Database() {
    store::PoolConfig config;
    config.dsn = server.CreateDatabase("svc");
    config.size = 6;
    config.acquire_timeout = 5000ms;
    config.statement_timeout = 10000ms;
    pool = std::make_unique<store::Pool>(config);
    store::Migrate(*pool, kMigrationComponent, Migrations());
  }

  std::int64_t Count(const std::string& sql) {
    return pool->Exec(sql)[0].GetInt(std::string_view("n"));
  }
};

/// One message as stored in the stream.
struct StoredMessage {
  std::uint64_t sequence = 0;
  std::string subject;
  std::string data;
  std::map<std::string, std::string> headers;
};

inline void CheckNats(natsStatus s, const char* what) {
  if (s != NATS_OK) {
    throw std::runtime_error(std::string(what) + ": " + natsStatus_GetText(s));
  }
}

/// Reads the stream directly (its own connection), independent of the library under test.
class StreamProbe {
 public:
  explicit StreamProbe(const std::string& url, std::string stream = "DBAAS")
      : stream_(std::move(stream)) {
    natsOptions* options = nullptr;
    CheckNats(natsOptions_Create(&options), "options");
    natsOptions_SetURL(options, url.c_str());
    natsOptions_SetTimeout(options, 2000);
    natsOptions_SetMaxReconnect(options, -1);
    natsOptions_SetReconnectWait(options, 100);
    natsOptions_SetRetryOnFailedConnect(options, true, nullptr, nullptr);
    natsStatus s = natsConnection_Connect(&connection_, options);
    natsOptions_Destroy(options);
    if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) CheckNats(s, "probe connect");
    CheckNats(natsConnection_JetStream(&js_, connection_, nullptr), "probe jetstream");
  }
  ~StreamProbe() {
    if (tap_ != nullptr) natsSubscription_Destroy(tap_);
    jsCtx_Destroy(js_);
    natsConnection_Destroy(connection_);
  }
  StreamProbe(const StreamProbe&) = delete;
  StreamProbe& operator=(const StreamProbe&) = delete;

  /// Every message in the stream, in order; empty when the stream does not exist.
  std::vector<StoredMessage> Messages() {
    std::vector<StoredMessage> out;
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    if (js_GetStreamInfo(&info, js_, stream_.c_str(), nullptr, &code) != NATS_OK) return out;
    const std::uint64_t first = info->State.FirstSeq;
    const std::uint64_t last = info->State.LastSeq;
    const std::uint64_t count = info->State.Msgs;
    jsStreamInfo_Destroy(info);
    if (count == 0) return out;
    for (std::uint64_t seq = first; seq <= last; ++seq) {
      natsMsg* msg = nullptr;
      if (js_GetMsg(&msg, js_, stream_.c_str(), seq, nullptr, &code) != NATS_OK) continue;
      StoredMessage stored;
      stored.sequence = seq;
      stored.subject = natsMsg_GetSubject(msg);
      stored.data.assign(natsMsg_GetData(msg),
                         static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
      const char** keys = nullptr;
      int key_count = 0;
      if (natsMsgHeader_Keys(msg, &keys, &key_count) == NATS_OK) {
        for (int i = 0; i < key_count; ++i) {
          const char* value = nullptr;
          if (natsMsgHeader_Get(msg, keys[i], &value) == NATS_OK) stored.headers[keys[i]] = value;
        }
        free(static_cast<void*>(keys));
      }
      natsMsg_Destroy(msg);
      out.push_back(std::move(stored));
    }
    return out;
  }

  /// The events in the stream, decoded.
  std::vector<Event> Events() {
    std::vector<Event> out;
    for (const auto& m : Messages()) out.push_back(DecodeEnvelope(m.data));
    return out;
  }

  /// Starts counting every message sent to "dbaas.>" on the wire, including publishes the
  /// stream later discards as duplicates.
  void StartTap() {
    CheckNats(natsConnection_SubscribeSync(&tap_, connection_, "dbaas.>"), "tap subscribe");
    CheckNats(natsConnection_FlushTimeout(connection_, 2000), "tap flush");
  }
  /// Messages seen by the tap so far, by event id (ce-id header).
  std::map<std::string, int> TapCounts() {
    for (;;) {
      natsMsg* msg = nullptr;
      if (natsSubscription_NextMsg(&msg, tap_, 50) != NATS_OK) break;
      const char* id = nullptr;
      if (natsMsgHeader_Get(msg, "ce-id", &id) == NATS_OK) ++tap_counts_[id];
      natsMsg_Destroy(msg);
    }
    return tap_counts_;
  }

  /// Publishes raw bytes to JetStream without an envelope (for poison-message tests).
  void PublishRaw(const std::string& subject, const std::string& data) {
    CheckNats(js_Publish(nullptr, js_, subject.c_str(), data.data(), static_cast<int>(data.size()),
                         nullptr, nullptr),
              "raw publish");
  }

 private:
  std::string stream_;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
  natsSubscription* tap_ = nullptr;
  std::map<std::string, int> tap_counts_;
};

}  // namespace dbaas::events::test

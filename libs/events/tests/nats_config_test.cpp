#include <gtest/gtest.h>

#include <map>
#include <string>

#include "dbaas/common/config.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/events/consumer.hpp"
#include "dbaas/events/jetstream.hpp"

namespace dbaas::events {
namespace {

ConfigReader ReaderOf(std::map<std::string, std::string> values) {
  return ConfigReader(
      [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
        auto it = values.find(std::string(name));
        if (it == values.end()) return std::nullopt;
        return it->second;
      });
}

TEST(NatsConfig, DefaultsWorkLocally) {
  auto reader = ReaderOf({});
  auto config = NatsConfig::FromEnv(reader, "access-control");
  EXPECT_NO_THROW(reader.Finish());
  EXPECT_EQ(config.url, "nats://127.0.0.1:4222");
  EXPECT_EQ(config.stream, "DBAAS");
  EXPECT_EQ(config.name, "access-control");
}

TEST(NatsConfig, ReadsEnvironment) {
  auto reader = ReaderOf(
      {{"DBAAS_NATS_URL", "nats://a:4222, nats://b:4222"}, {"DBAAS_NATS_STREAM", "DBAAS_TEST"}});
  auto config = NatsConfig::FromEnv(reader, "svc");
  EXPECT_NO_THROW(reader.Finish());
  EXPECT_EQ(config.url, "nats://a:4222, nats://b:4222");
  EXPECT_EQ(config.stream, "DBAAS_TEST");
}

TEST(NatsConfig, NamesEveryBadVariable) {
  auto reader = ReaderOf({{"DBAAS_NATS_URL", "http://x"}, {"DBAAS_NATS_STREAM", "a.b"}});
  NatsConfig::FromEnv(reader, "svc");
  try {
    reader.Finish();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("DBAAS_NATS_URL"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("DBAAS_NATS_STREAM"), std::string::npos);
  }
}

TEST(JetStream, RejectsMalformedUrlButNotAnUnreachableServer) {
  NatsConfig bad;
  bad.url = "localhost:4222";
  EXPECT_THROW(JetStream{bad}, Error);

  NatsConfig unreachable;
  unreachable.url = "nats://127.0.0.1:1";
  unreachable.connect_timeout = std::chrono::milliseconds(200);
  JetStream js(unreachable);
  EXPECT_FALSE(js.Connected());
  try {
    js.EnsureStream();
    FAIL() << "expected UNAVAILABLE";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kUnavailable);
  }
}

}  // namespace
}  // namespace dbaas::events

#include "dbaas/http/server_config.hpp"

#include <gtest/gtest.h>

#include <map>

#include "dbaas/common/error.hpp"

namespace dbaas::http {
namespace {

ConfigReader ReaderFor(std::map<std::string, std::string, std::less<>> env) {
  return ConfigReader([env = std::move(env)](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

TEST(ServerConfig, DefaultsWhenNothingIsSet) {
  auto cfg = ReaderFor({});
  auto c = ServerConfig::FromEnv(cfg, "gateway", 8080);
  EXPECT_NO_THROW(cfg.Finish());
  EXPECT_EQ(c.service, "gateway");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 8080);
  EXPECT_EQ(c.handler_threads, 8);
  EXPECT_EQ(c.max_body_bytes, 1024u * 1024u);
  EXPECT_FALSE(c.TlsEnabled());
  EXPECT_TRUE(c.access_log);
  EXPECT_TRUE(c.cors_origins.empty());
}

TEST(ServerConfig, ReadsEveryVariable) {
  auto cfg = ReaderFor({{"DBAAS_HTTP_HOST", "0.0.0.0"},
                        {"DBAAS_HTTP_PORT", "9000"},
                        {"DBAAS_HTTP_THREADS", "4"},
                        {"DBAAS_HTTP_IO_THREADS", "2"},
                        {"DBAAS_HTTP_MAX_BODY", "64KiB"},
                        {"DBAAS_HTTP_READ_TIMEOUT", "500ms"},
                        {"DBAAS_HTTP_IDLE_TIMEOUT", "2m"},
                        {"DBAAS_HTTP_MAX_CONNECTIONS", "10"},
                        {"DBAAS_HTTP_ACCESS_LOG", "false"},
                        {"DBAAS_CORS_ORIGINS", "https://a.example, http://localhost:3000"}});
  auto c = ServerConfig::FromEnv(cfg, "x", 1);
  EXPECT_NO_THROW(cfg.Finish());
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 9000);
  EXPECT_EQ(c.handler_threads, 4);
  EXPECT_EQ(c.io_threads, 2);
  EXPECT_EQ(c.max_body_bytes, 64u * 1024u);
  EXPECT_EQ(c.read_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c.idle_timeout, std::chrono::minutes(2));
  EXPECT_EQ(c.max_connections, 10u);
  EXPECT_FALSE(c.access_log);
  EXPECT_EQ(c.cors_origins,
            (std::vector<std::string>{"https://a.example", "http://localhost:3000"}));
}

void ExpectProblemNaming(std::map<std::string, std::string, std::less<>> env,
                         const std::string& variable) {
  auto cfg = ReaderFor(env);
  (void)ServerConfig::FromEnv(cfg, "x", 1);
  try {
    cfg.Finish();
    FAIL() << "expected a problem naming " << variable;
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find(variable), std::string::npos) << e.what();
  }
}

TEST(ServerConfig, BadValuesAreNamed) {
  ExpectProblemNaming({{"DBAAS_HTTP_PORT", "70000"}}, "DBAAS_HTTP_PORT");
  ExpectProblemNaming({{"DBAAS_HTTP_PORT", "http"}}, "DBAAS_HTTP_PORT");
  ExpectProblemNaming({{"DBAAS_HTTP_THREADS", "0"}}, "DBAAS_HTTP_THREADS");
  ExpectProblemNaming({{"DBAAS_HTTP_IO_THREADS", "-1"}}, "DBAAS_HTTP_IO_THREADS");
  ExpectProblemNaming({{"DBAAS_HTTP_MAX_BODY", "lots"}}, "DBAAS_HTTP_MAX_BODY");
  ExpectProblemNaming({{"DBAAS_HTTP_READ_TIMEOUT", "soon"}}, "DBAAS_HTTP_READ_TIMEOUT");
  ExpectProblemNaming({{"DBAAS_HTTP_IDLE_TIMEOUT", "5 minutes"}}, "DBAAS_HTTP_IDLE_TIMEOUT");
  ExpectProblemNaming({{"DBAAS_HTTP_MAX_CONNECTIONS", "0"}}, "DBAAS_HTTP_MAX_CONNECTIONS");
  ExpectProblemNaming({{"DBAAS_HTTP_ACCESS_LOG", "maybe"}}, "DBAAS_HTTP_ACCESS_LOG");
  ExpectProblemNaming({{"DBAAS_CORS_ORIGINS", "example.com"}}, "DBAAS_CORS_ORIGINS");
  ExpectProblemNaming({{"DBAAS_CORS_ORIGINS", "https://a.example/"}}, "DBAAS_CORS_ORIGINS");
}

TEST(ServerConfig, TlsNeedsBothReadableFiles) {
  ExpectProblemNaming({{"DBAAS_TLS_CERT_FILE", "/etc/hostname"}}, "DBAAS_TLS_KEY_FILE");
  ExpectProblemNaming({{"DBAAS_TLS_KEY_FILE", "/etc/hostname"}}, "DBAAS_TLS_CERT_FILE");
  ExpectProblemNaming({{"DBAAS_TLS_CERT_FILE", "/nonexistent/cert.pem"},
                       {"DBAAS_TLS_KEY_FILE", "/etc/hostname"}},
                      "DBAAS_TLS_CERT_FILE");
}

TEST(ServerConfig, ReportsEveryProblemAtOnce) {
  auto cfg = ReaderFor({{"DBAAS_HTTP_PORT", "x"}, {"DBAAS_HTTP_THREADS", "y"}});
  (void)ServerConfig::FromEnv(cfg, "x", 1);
  EXPECT_EQ(cfg.Problems().size(), 2u);
}

}  // namespace
}  // namespace dbaas::http

#include <gtest/gtest.h>

#include "dbaas/engines/config.hpp"

namespace dbaas::engines {
namespace {

PlatformSettings Platform() {
  PlatformSettings p;
  p.port = 55432;
  p.data_dir = "/var/lib/dbaas/ins_1/data";
  p.socket_dir = "/run/dbaas/ins_1";
  p.log_dir = "/var/log/dbaas/ins_1";
  p.tls_cert_file = "/etc/dbaas/ins_1/server.crt";
  p.tls_key_file = "/etc/dbaas/ins_1/server.key";
  return p;
}

TEST(SizeSettings, FollowMemory) {
  const auto pg = SizeSettings(Engine::kPostgresql, *FindSize("medium"));  // 8 GiB
  EXPECT_EQ(pg.at("shared_buffers"), "2097152kB");
  EXPECT_EQ(pg.at("effective_cache_size"), "6291456kB");
  EXPECT_EQ(pg.at("max_connections"), "200");
  const auto my = SizeSettings(Engine::kMysql, *FindSize("medium"));
  EXPECT_EQ(my.at("innodb_buffer_pool_size"), std::to_string(8192LL * 7 / 10 * 1024 * 1024));
}

TEST(RenderConfig, PostgresHasPlatformSettingsAndOverrides) {
  const auto conf = RenderConfig(Engine::kPostgresql, *FindSize("small"),
                                 {{"shared_buffers", "256MB"}, {"timezone", "Europe/Berlin"}}, Platform());
  EXPECT_NE(conf.find("shared_buffers = '256MB'\n"), std::string::npos);
  EXPECT_EQ(conf.find("shared_buffers = '524288kB'"), std::string::npos);
  EXPECT_NE(conf.find("port = '55432'\n"), std::string::npos);
  EXPECT_NE(conf.find("listen_addresses = '127.0.0.1'\n"), std::string::npos);
  EXPECT_NE(conf.find("ssl = 'on'\n"), std::string::npos);
  EXPECT_NE(conf.find("ssl_cert_file = '/etc/dbaas/ins_1/server.crt'\n"), std::string::npos);
  EXPECT_NE(conf.find("password_encryption = 'scram-sha-256'\n"), std::string::npos);
  EXPECT_NE(conf.find("log_directory = '/var/log/dbaas/ins_1'\n"), std::string::npos);
}

TEST(RenderConfig, MariaDbHasOneSectionAndConfigNames) {
  const auto cnf = RenderConfig(Engine::kMysql, *FindSize("small"),
                                {{"time_zone", "+02:00"}, {"sql_mode", ""}}, Platform());
  EXPECT_EQ(cnf.find("[mysqld]"), cnf.rfind("[mysqld]"));
  EXPECT_NE(cnf.find("default-time-zone = +02:00\n"), std::string::npos);
  EXPECT_NE(cnf.find("sql_mode = \"\"\n"), std::string::npos);
  EXPECT_NE(cnf.find("bind-address = 127.0.0.1\n"), std::string::npos);
  EXPECT_NE(cnf.find("socket = /run/dbaas/ins_1/mysqld.sock\n"), std::string::npos);
  EXPECT_NE(cnf.find("ssl-key = /etc/dbaas/ins_1/server.key\n"), std::string::npos);
}

TEST(RenderConfig, QuotesAndRefusesLineBreaks) {
  EXPECT_EQ(QuotePostgresConfValue("it's a\\b"), "'it''s a\\\\b'");
  EXPECT_EQ(QuoteMyCnfValue("a \"b\" \\c"), "\"a \\\"b\\\" \\\\c\"");
  auto p = Platform();
  p.data_dir = "/tmp/x\nshared_preload_libraries = 'evil'";
  EXPECT_THROW(RenderConfig(Engine::kPostgresql, *FindSize("small"), {}, p), Error);
  EXPECT_THROW(RenderConfig(Engine::kPostgresql, *FindSize("small"), {{"fsync", "off"}}, Platform()), Error);
  EXPECT_THROW(RenderConfig(Engine::kMysql, *FindSize("small"), {{"sql_mode", "a\nb"}}, Platform()), Error);
  p = Platform();
  p.data_dir = "/data/with space";
  EXPECT_NE(RenderConfig(Engine::kMysql, *FindSize("small"), {}, p).find("datadir = \"/data/with space\""),
            std::string::npos);
}

}  // namespace
}  // namespace dbaas::engines

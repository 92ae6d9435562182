#include <gtest/gtest.h>

#include "dbaas/store/store.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::store {
namespace {

TEST(RedactDsn, HidesPasswordsInEveryForm) {
  EXPECT_EQ(RedactDsn("postgresql://svc:s3cret@db.local:5432/svc"),
            "postgresql://svc:***@db.local:5432/svc");
  EXPECT_EQ(RedactDsn("postgres://svc:p%40ss@127.0.0.1/svc?sslmode=disable"),
            "postgres://svc:***@127.0.0.1/svc?sslmode=disable");
  EXPECT_EQ(RedactDsn("postgresql://svc@host/db?password=s3cret&sslmode=require"),
            "postgresql://svc@host/db?password=***&sslmode=require");
  EXPECT_EQ(RedactDsn("host=127.0.0.1 user=svc password=s3cret dbname=svc"),
            "host=127.0.0.1 user=svc password=*** dbname=svc");
  EXPECT_EQ(RedactDsn("host=h password = 'it\\'s a \\\\ secret' dbname=d"),
            "host=h password = *** dbname=d");
  EXPECT_EQ(RedactDsn("postgresql://svc@host/db"), "postgresql://svc@host/db");
  EXPECT_EQ(RedactDsn("host=h dbname=d"), "host=h dbname=d");
}

TEST(RedactDsn, UnparseableKeyValueStringIsHiddenEntirely) {
  EXPECT_EQ(RedactDsn("host=h password='unterminated"), "***");
  EXPECT_EQ(RedactDsn("garbage s3cret"), "***");
}

TEST(Pool, ConnectFailureIsUnavailableAndNeverLogsThePassword) {
  PoolConfig config;
  config.dsn = "postgresql://svc:s3cret-value@127.0.0.1:" + std::to_string(testing::FreePort()) +
               "/svc";
  config.acquire_timeout = std::chrono::milliseconds(500);
  Pool pool(config);
  ::testing::internal::CaptureStderr();
  Error error(ErrorCode::kInternal, "");
  try {
    pool.Exec("SELECT 1");
  } catch (const Error& e) {
    error = e;
  }
  const bool ping = pool.Ping();
  const std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(error.Code(), ErrorCode::kUnavailable);
  EXPECT_EQ(std::string(error.what()).rfind("database unavailable", 0), 0u);
  EXPECT_FALSE(ping);
  EXPECT_EQ(std::string(error.what()).find("s3cret"), std::string::npos);
  EXPECT_EQ(logged.find("s3cret"), std::string::npos) << logged;
  EXPECT_NE(logged.find("svc:***@"), std::string::npos) << logged;
  EXPECT_EQ(pool.OpenConnections(), 0u);
}

TEST(Pool, RejectsAZeroSize) {
  PoolConfig config;
  config.size = 0;
  EXPECT_THROW(Pool{config}, Error);
}

}  // namespace
}  // namespace dbaas::store

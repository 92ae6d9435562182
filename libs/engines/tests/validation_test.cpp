#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dbaas/engines/validation.hpp"

namespace dbaas::engines {
namespace {

std::vector<EngineInfo> Available() {
  return {{Engine::kPostgresql, {"15"}, "15.18", "PostgreSQL"},
          {Engine::kMysql, {"10.11"}, "10.11.19-MariaDB", "MariaDB"}};
}

std::string Issue(const std::vector<FieldViolation>& v, const std::string& field) {
  for (const auto& f : v) {
    if (f.field == field) return f.issue;
  }
  return "";
}

TEST(ParseMemory, AcceptsUnitsAndBaseUnits) {
  EXPECT_EQ(ParseMemory("256MB", 1), 256LL << 20);
  EXPECT_EQ(ParseMemory("1GB", 1), 1LL << 30);
  EXPECT_EQ(ParseMemory("64kB", 1), 64LL << 10);
  EXPECT_EQ(ParseMemory("16M", 1), 16LL << 20);
  EXPECT_EQ(ParseMemory("1024", 8192), 8LL << 20);
  EXPECT_FALSE(ParseMemory("-1MB", 1));
  EXPECT_FALSE(ParseMemory("12 parsecs", 1));
  EXPECT_FALSE(ParseMemory("99999999999999999999", 1));
  EXPECT_FALSE(ParseMemory("9000000TB", 1));
  EXPECT_FALSE(ParseMemory("", 1));
}

TEST(ParseDuration, AcceptsUnits) {
  EXPECT_EQ(ParseDuration("5min", 1000), 300000);
  EXPECT_EQ(ParseDuration("30", 1000), 30000);
  EXPECT_EQ(ParseDuration("250ms", 1000), 250);
  EXPECT_EQ(ParseDuration("-1", 1), -1);
  EXPECT_FALSE(ParseDuration("5 fortnights", 1));
}

TEST(ValidateParameters, NormalisesValidValues) {
  std::vector<FieldViolation> v;
  const auto out = ValidateParameters(
      Engine::kPostgresql,
      {{"shared_buffers", "256MB"}, {"work_mem", 8192}, {"statement_timeout", "30s"},
       {"log_min_duration_statement", -1}, {"random_page_cost", 1.1}, {"autovacuum", true},
       {"wal_level", "LOGICAL"}, {"timezone", "Europe/Berlin"},
       {"default_transaction_isolation", "repeatable read"}, {"checkpoint_timeout", 600}},
      v);
  EXPECT_TRUE(v.empty()) << v.front().field << ": " << v.front().issue;
  EXPECT_EQ(out.at("shared_buffers"), "256MB");
  EXPECT_EQ(out.at("work_mem"), "8MB");
  EXPECT_EQ(out.at("statement_timeout"), "30s");
  EXPECT_EQ(out.at("log_min_duration_statement"), "-1");
  EXPECT_EQ(out.at("random_page_cost"), "1.1");
  EXPECT_EQ(out.at("autovacuum"), "on");
  EXPECT_EQ(out.at("wal_level"), "logical");
  EXPECT_EQ(out.at("checkpoint_timeout"), "10min");
}

TEST(ValidateParameters, ReportsEveryProblemWithItsField) {
  std::vector<FieldViolation> v;
  ValidateParameters(Engine::kPostgresql,
                     {{"shared_buffers", "12parsecs"}, {"max_connections", 5}, {"wal_level", "minimal"},
                      {"fsync", "off"}, {"work_mem", "100B"}, {"timezone", "Mars/Olympus"},
                      {"statement_timeout", -5}, {"min_wal_size", "2GB"}, {"max_wal_size", "1GB"}},
                     v);
  EXPECT_EQ(v.size(), 8U);
  EXPECT_NE(Issue(v, "parameters.shared_buffers"), "");
  EXPECT_NE(Issue(v, "parameters.max_connections").find("between 10 and 10000"), std::string::npos);
  EXPECT_NE(Issue(v, "parameters.wal_level").find("replica"), std::string::npos);
  EXPECT_NE(Issue(v, "parameters.fsync").find("not a parameter"), std::string::npos);
  EXPECT_NE(Issue(v, "parameters.work_mem"), "");
  EXPECT_NE(Issue(v, "parameters.timezone"), "");
  EXPECT_NE(Issue(v, "parameters.statement_timeout"), "");
  EXPECT_NE(Issue(v, "parameters.min_wal_size"), "");
}

TEST(ValidateParameters, RejectsBlockMisalignedMemory) {
  std::vector<FieldViolation> v;
  ValidateParameters(Engine::kPostgresql, {{"shared_buffers", "300kB"}}, v);
  ASSERT_EQ(v.size(), 1U);
  EXPECT_NE(v[0].issue.find("multiple of 8kB"), std::string::npos);
}

TEST(ValidateParameters, MariaDbRules) {
  std::vector<FieldViolation> v;
  auto out = ValidateParameters(
      Engine::kMysql,
      {{"innodb_buffer_pool_size", "256MB"}, {"sql_mode", "strict_trans_tables, NO_ENGINE_SUBSTITUTION"},
       {"time_zone", "+02:00"}, {"innodb_flush_log_at_trx_commit", 2}, {"long_query_time", 0.5},
       {"character_set_server", "utf8mb4"}, {"collation_server", "utf8mb4_unicode_ci"}},
      v);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(out.at("innodb_buffer_pool_size"), "268435456");
  EXPECT_EQ(out.at("sql_mode"), "STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION");
  EXPECT_EQ(out.at("innodb_flush_log_at_trx_commit"), "2");
  EXPECT_EQ(out.at("long_query_time"), "0.5");

  v.clear();
  ValidateParameters(Engine::kMysql,
                     {{"sql_mode", "STRICT_TRANS_TABLES,DROP_TABLES"}, {"time_zone", "Europe/Berlin"},
                      {"character_set_server", "latin1"}, {"collation_server", "utf8mb4_bin"}},
                     v);
  EXPECT_EQ(v.size(), 3U);
  EXPECT_NE(Issue(v, "parameters.collation_server").find("latin1"), std::string::npos);
}

TEST(ValidateInstance, CollectsAllProblemsAtOnce) {
  const nlohmann::json params = {{"max_connections", "lots"}};
  InstanceRequest r{"postgresql", "9.6", "galactic", 0, &params};
  const auto v = ValidateInstance(Available(), r);
  EXPECT_EQ(v.size(), 4U);
  EXPECT_NE(Issue(v, "version").find("15"), std::string::npos);
  EXPECT_NE(Issue(v, "size").find("small"), std::string::npos);
  EXPECT_NE(Issue(v, "storage_gb"), "");
  EXPECT_NE(Issue(v, "parameters.max_connections"), "");
}

TEST(ValidateInstance, UnknownEngineAndStorageOutsideTheSize) {
  InstanceRequest r{"oracle", "19", "small", 5000, nullptr};
  const auto v = ValidateInstance(Available(), r);
  EXPECT_EQ(Issue(v, "engine"), "must be one of postgresql, mysql");
  EXPECT_EQ(Issue(v, "storage_gb"), "must be between 10 and 500 for size small");
}

TEST(ValidateInstance, CacheMustFitTheSize) {
  const nlohmann::json params = {{"shared_buffers", "4GB"}};
  InstanceRequest r{"postgresql", "15", "small", 20, &params};
  const auto v = ValidateInstance(Available(), r);
  ASSERT_EQ(v.size(), 1U);
  EXPECT_EQ(v[0].field, "parameters.shared_buffers");
}

TEST(ValidateInstance, ThrowsInvalidArgumentWithDetails) {
  InstanceRequest r{"mysql", "8.0", "small", 20, nullptr};
  try {
    ValidateInstanceOrThrow(Available(), r);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    ASSERT_EQ(e.Details().size(), 1U);
    EXPECT_EQ(e.Details()[0].field, "version");
  }
  const nlohmann::json params = {{"max_connections", 300}};
  InstanceRequest ok{"mysql", "10.11", "medium", 100, &params};
  const auto valid = ValidateInstanceOrThrow(Available(), ok);
  EXPECT_EQ(valid.engine, Engine::kMysql);
  EXPECT_EQ(valid.size->name, "medium");
  EXPECT_EQ(valid.parameters.at("max_connections"), "300");
}

}  // namespace
}  // namespace dbaas::engines

#include "dbaas/common/config.hpp"

#include <gtest/gtest.h>

#include <map>

#include "dbaas/common/error.hpp"

namespace dbaas {
namespace {

ConfigReader FromMap(std::map<std::string, std::string> values) {
  return ConfigReader([values](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  });
}

TEST(ConfigReader, DefaultsApplyWhenUnsetOrEmpty) {
  auto cfg = FromMap({{"DBAAS_EMPTY", ""}});
  EXPECT_EQ(cfg.String("DBAAS_X", "def"), "def");
  EXPECT_EQ(cfg.Int("DBAAS_EMPTY", 7, 0, 10), 7);
  EXPECT_EQ(cfg.Port("DBAAS_PORT", 8080), 8080);
  EXPECT_TRUE(cfg.Bool("DBAAS_B", true));
  EXPECT_NO_THROW(cfg.Finish());
}

TEST(ConfigReader, ParsesValidValues) {
  auto cfg = FromMap({{"DBAAS_PORT", "9000"},
                      {"DBAAS_ON", "yes"},
                      {"DBAAS_T", "250ms"},
                      {"DBAAS_SIZE", "8MiB"},
                      {"DBAAS_MODE", "fast"}});
  EXPECT_EQ(cfg.Port("DBAAS_PORT", 1), 9000);
  EXPECT_TRUE(cfg.Bool("DBAAS_ON", false));
  EXPECT_EQ(cfg.Duration("DBAAS_T", std::chrono::seconds(1)), std::chrono::milliseconds(250));
  EXPECT_EQ(cfg.Bytes("DBAAS_SIZE", 0), 8 * 1024 * 1024);
  EXPECT_EQ(cfg.OneOf("DBAAS_MODE", "slow", {"slow", "fast"}), "fast");
  EXPECT_NO_THROW(cfg.Finish());
}

TEST(ConfigReader, ReportsEveryBadVariableByName) {
  auto cfg = FromMap({{"DBAAS_HTTP_PORT", "80a"},
                      {"DBAAS_THREADS", "0"},
                      {"DBAAS_FLAG", "maybe"},
                      {"DBAAS_TIMEOUT", "10 parsecs"},
                      {"DBAAS_MODE", "turbo"}});
  cfg.Port("DBAAS_HTTP_PORT", 8080);
  cfg.Int("DBAAS_THREADS", 4, 1, 64);
  cfg.Bool("DBAAS_FLAG", false);
  cfg.Duration("DBAAS_TIMEOUT", std::chrono::seconds(1));
  cfg.OneOf("DBAAS_MODE", "a", {"a", "b"});
  cfg.Required("DBAAS_DATABASE_URL");
  try {
    cfg.Finish();
    FAIL() << "Finish should throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    const std::string msg = e.what();
    for (const char* name : {"DBAAS_HTTP_PORT", "DBAAS_THREADS", "DBAAS_FLAG", "DBAAS_TIMEOUT",
                             "DBAAS_MODE", "DBAAS_DATABASE_URL"}) {
      EXPECT_NE(msg.find(name), std::string::npos) << name << " missing from: " << msg;
    }
  }
  EXPECT_EQ(cfg.Problems().size(), 6U);
}

TEST(ConfigReader, RejectsOutOfRangePort) {
  auto cfg = FromMap({{"DBAAS_HTTP_PORT", "70000"}});
  EXPECT_EQ(cfg.Port("DBAAS_HTTP_PORT", 8080), 8080);
  EXPECT_THROW(cfg.Finish(), Error);
}

TEST(ParseDuration, Units) {
  EXPECT_EQ(ParseDuration("30"), std::chrono::seconds(30));
  EXPECT_EQ(ParseDuration("5m"), std::chrono::minutes(5));
  EXPECT_EQ(ParseDuration("2h"), std::chrono::hours(2));
  EXPECT_FALSE(ParseDuration("").has_value());
  EXPECT_FALSE(ParseDuration("-1s").has_value());
  EXPECT_FALSE(ParseDuration("1d").has_value());
}

TEST(ParseBytes, UnitsAndOverflow) {
  EXPECT_EQ(ParseBytes("64KiB"), 65536);
  EXPECT_EQ(ParseBytes("1GB"), 1000000000);
  EXPECT_FALSE(ParseBytes("99999999999TiB").has_value());
  EXPECT_FALSE(ParseBytes("1XB").has_value());
}

}  // namespace
}  // namespace dbaas

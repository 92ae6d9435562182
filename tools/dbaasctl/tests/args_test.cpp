#include "args.hpp"

#include <gtest/gtest.h>

#include "exit_code.hpp"

namespace dbaas::ctl {
namespace {

const std::vector<OptionSpec> kSpecs = {
    {"engine", "ENGINE", "engine"}, {"param", "K=V", "parameter", true},
    {"wait", "", "follow"},         {"output", "FORMAT", "format"},
    {"help", "", "help"},
};

ParsedArgs Parse(std::vector<std::string> args) {
  return ParseArgs(kSpecs, args);
}

TEST(ParseArgs, ReadsValuesFlagsAndPositionalsInAnyOrder) {
  const auto p = Parse({"pg1", "--engine", "postgresql", "--wait", "extra"});
  EXPECT_EQ(p.Get("engine"), "postgresql");
  EXPECT_TRUE(p.Has("wait"));
  EXPECT_EQ(p.Get("wait"), "");
  EXPECT_FALSE(p.Has("param"));
  EXPECT_EQ(p.Positionals(), (std::vector<std::string>{"pg1", "extra"}));
}

TEST(ParseArgs, AcceptsNameEqualsValue) {
  const auto p = Parse({"--engine=mysql", "--param=a=b"});
  EXPECT_EQ(p.Get("engine"), "mysql");
  EXPECT_EQ(p.All("param"), (std::vector<std::string>{"a=b"}));
}

TEST(ParseArgs, CollectsRepeatableOptionsInOrder) {
  const auto p = Parse({"--param", "a=1", "--param", "b=2"});
  EXPECT_EQ(p.All("param"), (std::vector<std::string>{"a=1", "b=2"}));
}

TEST(ParseArgs, DoubleDashEndsOptions) {
  const auto p = Parse({"--", "--engine", "-x"});
  EXPECT_FALSE(p.Has("engine"));
  EXPECT_EQ(p.Positionals(), (std::vector<std::string>{"--engine", "-x"}));
}

TEST(ParseArgs, ShortHIsHelp) {
  EXPECT_TRUE(Parse({"-h"}).Has("help"));
}

TEST(ParseArgs, RejectsMistakesAsUsageErrors) {
  EXPECT_THROW(Parse({"--nope"}), UsageError);
  EXPECT_THROW(Parse({"--engine"}), UsageError);
  EXPECT_THROW(Parse({"--wait=yes"}), UsageError);
  EXPECT_THROW(Parse({"--engine", "a", "--engine", "b"}), UsageError);
  EXPECT_THROW(Parse({"-x"}), UsageError);
  try {
    Parse({"--engin", "x"});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(e.Code(), ExitCode::kUsage);
    EXPECT_NE(std::string(e.what()).find("--engin"), std::string::npos);
  }
}

TEST(ParseArgs, AValueMayLookLikeAnOption) {
  EXPECT_EQ(Parse({"--engine", "--wait"}).Get("engine"), "--wait");
}

TEST(ExtractCommandWords, SkipsOptionsAndTheirValues) {
  std::vector<std::string> args{"--output", "json", "instance", "--engine", "pg", "create", "n1"};
  const auto words = ExtractCommandWords(
      args, kSpecs, [](const std::vector<std::string>& w) { return w.size() < 2; });
  EXPECT_EQ(words, (std::vector<std::string>{"instance", "create"}));
  EXPECT_EQ(args, (std::vector<std::string>{"--output", "json", "--engine", "pg", "n1"}));
}

TEST(ExtractCommandWords, StopsWhenTheCommandIsComplete) {
  std::vector<std::string> args{"login", "extra"};
  const auto words = ExtractCommandWords(
      args, kSpecs, [](const std::vector<std::string>& w) { return w.empty(); });
  EXPECT_EQ(words, (std::vector<std::string>{"login"}));
  EXPECT_EQ(args, (std::vector<std::string>{"extra"}));
}

TEST(SplitKeyValue, SplitsAtTheFirstEquals) {
  EXPECT_EQ(SplitKeyValue("work_mem=4MB", "param"),
            std::make_pair(std::string("work_mem"), std::string("4MB")));
  EXPECT_EQ(SplitKeyValue("a=b=c", "label"), std::make_pair(std::string("a"), std::string("b=c")));
  EXPECT_EQ(SplitKeyValue("a=", "label"), std::make_pair(std::string("a"), std::string()));
  EXPECT_THROW(SplitKeyValue("novalue", "param"), UsageError);
  EXPECT_THROW(SplitKeyValue("=x", "param"), UsageError);
}

}  // namespace
}  // namespace dbaas::ctl

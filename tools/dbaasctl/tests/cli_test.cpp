#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "commands.hpp"
#include "config_file.hpp"

namespace dbaas::ctl {
namespace {

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result RunCtl(std::vector<std::string> args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = RunCli(std::move(args), out, err);
  return {code, out.str(), err.str()};
}

std::string MissingConfig() {
  return (std::filesystem::temp_directory_path() /
          ("dbaasctl-absent-" + std::to_string(::getpid())) / "config.json")
      .string();
}

TEST(Cli, HelpListsCommandsAndExitCodes) {
  const auto r = RunCtl({"--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* text :
       {"  login ", "  instance create NAME ", "  operation get ID ", "Exit codes:", "  7  "}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text;
  }
}

TEST(Cli, EveryCommandHasHelp) {
  for (std::vector<std::string> words : {std::vector<std::string>{"login"},
                                         {"instance", "create"},
                                         {"instance", "list"},
                                         {"instance", "delete"},
                                         {"operation", "get"},
                                         {"tenant", "create"}}) {
    auto args = words;
    args.push_back("--help");
    const auto r = RunCtl(args);
    EXPECT_EQ(r.code, 0) << words[0];
    EXPECT_EQ(r.out.rfind("usage: dbaasctl " + words[0], 0), 0u) << r.out;
  }
  const auto create = RunCtl({"help", "instance", "create"});
  EXPECT_NE(create.out.find("--storage-gb N"), std::string::npos) << create.out;
  const auto group = RunCtl({"instance", "--help"});
  EXPECT_EQ(group.code, 0);
  EXPECT_NE(group.out.find("  instance credentials ID "), std::string::npos) << group.out;
}

TEST(Cli, UsageMistakesExitTwoWithAMessage) {
  EXPECT_EQ(RunCtl({}).code, 2);
  auto r = RunCtl({"instanse", "list"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown command 'instanse'"), std::string::npos) << r.err;
  r = RunCtl({"instance", "create", "pg1", "--engine", "postgresql", "--size", "micro"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--storage-gb is required"), std::string::npos) << r.err;
  r = RunCtl({"instance", "get"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("usage: dbaasctl instance get ID"), std::string::npos) << r.err;
  r = RunCtl({"instance", "list", "--output", "yaml"});
  EXPECT_EQ(r.code, 2);
  r = RunCtl({"instance", "create", "pg1", "--engine", "postgresql", "--size", "micro",
              "--storage-gb", "ten", "--config", MissingConfig()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("whole number"), std::string::npos) << r.err;
  r = RunCtl({"instance", "delete", "ins_x", "--wait", "--timeout", "soon"});
  EXPECT_EQ(r.code, 2);
}

TEST(Cli, NotLoggedInExitsFour) {
  const auto r = RunCtl({"instance", "list", "--config", MissingConfig()});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("not logged in: run dbaasctl login"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(MissingConfig()));
}

TEST(Cli, UnreachableGatewayExitsSix) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("dbaasctl-unreachable-" + std::to_string(::getpid()) + ".json");
  CtlConfig config;
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  config.url = "http://127.0.0.1:1";
  config.access_token = "token";
  SaveConfig(path, config);
  const auto r = RunCtl({"instance", "get", "ins_x", "--config", path.string()});
  std::filesystem::remove(path);
  EXPECT_EQ(r.code, 6);
  EXPECT_NE(r.err.find("UNAVAILABLE"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dbaas::ctl

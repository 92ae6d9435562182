#include "config_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "exit_code.hpp"

namespace dbaas::ctl {
namespace {

namespace fs = std::filesystem;

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "dbaasctl-test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static unsigned Mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 0777;
  }

  fs::path dir_;
};

CtlConfig Sample() {
  CtlConfig c;
  c.url = "http://127.0.0.1:8080";
  c.username = "admin";
  c.access_token = "eyJaccess";
  c.access_token_expires_at = 1'900'000'000;
  c.refresh_token = "refresh-secret";
  return c;
}

TEST_F(ConfigFileTest, SavedFileIsPrivateAndReadsBackTheSame) {
  const auto path = dir_ / "new" / "dbaasctl" / "config.json";
  SaveConfig(path, Sample());
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_EQ(Mode(path.parent_path()), 0700u);
  EXPECT_EQ(Mode(path.parent_path().parent_path()), 0700u);
  EXPECT_EQ(LoadConfig(path), Sample());
}

TEST_F(ConfigFileTest, OverwritingALooseFileMakesItPrivate) {
  const auto path = dir_ / "config.json";
  std::ofstream(path) << "{}";
  fs::permissions(path, fs::perms::all);
  auto c = Sample();
  c.refresh_token = "rotated";
  SaveConfig(path, c);
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_EQ(LoadConfig(path)->refresh_token, "rotated");
  // No temporary file is left next to it.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(ConfigFileTest, MissingFileIsNotAnError) {
  EXPECT_EQ(LoadConfig(dir_ / "absent.json"), std::nullopt);
}

TEST_F(ConfigFileTest, GarbageIsAUsageErrorNamingTheFile) {
  const auto path = dir_ / "config.json";
  std::ofstream(path) << "not json";
  try {
    LoadConfig(path);
    FAIL();
  } catch (const CliError& e) {
    EXPECT_EQ(e.Code(), ExitCode::kUsage);
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos);
  }
}

TEST_F(ConfigFileTest, UnwritablePlaceIsAnErrorNamingThePath) {
  std::ofstream(dir_ / "file") << "x";
  EXPECT_THROW(SaveConfig(dir_ / "file" / "config.json", Sample()), CliError);
}

TEST(ResolveConfigPath, FlagThenVariableThenXdgThenHome) {
  std::map<std::string, std::string> env{{"HOME", "/home/u"}};
  auto lookup = [&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  EXPECT_EQ(ResolveConfigPath(std::nullopt, lookup), "/home/u/.config/dbaasctl/config.json");
  env["XDG_CONFIG_HOME"] = "/xdg";
  EXPECT_EQ(ResolveConfigPath(std::nullopt, lookup), "/xdg/dbaasctl/config.json");
  env["DBAASCTL_CONFIG"] = "/etc/ctl.json";
  EXPECT_EQ(ResolveConfigPath(std::nullopt, lookup), "/etc/ctl.json");
  EXPECT_EQ(ResolveConfigPath(std::string("/flag.json"), lookup), "/flag.json");
  env.clear();
  EXPECT_THROW(ResolveConfigPath(std::nullopt, lookup), CliError);
}

}  // namespace
}  // namespace dbaas::ctl

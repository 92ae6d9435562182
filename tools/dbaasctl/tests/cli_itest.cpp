// dbaasctl against a fake gateway on a loopback port: login, token renewal, error printing,
// --wait with its exit codes, and pagination. The fake answers like the real gateway (same
// routes, same error body, since it is served by libs/http's Server), but its behaviour is
// scripted per test.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "config_file.hpp"
#include "dbaas/common/error.hpp"
#include "test_server.hpp"

namespace dbaas::ctl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The fake gateway's state. Tokens are "a<n>" / "r<n>"; only the latest pair is valid.
struct Gateway {
  std::mutex mu;
  int generation = 0;
  bool refresh_allowed = true;
  std::atomic<int> polls{0};

  json Issue() {
    ++generation;
    return {{"access_token", "a" + std::to_string(generation)},
            {"token_type", "Bearer"},
            {"expires_in", 900},
            {"refresh_token", "r" + std::to_string(generation)}};
  }

  void Authenticate(const http::Request& req) {
    std::lock_guard lock(mu);
    if (req.Header("Authorization") != "Bearer a" + std::to_string(generation)) {
      throw Error(ErrorCode::kUnauthenticated, "the access token is not valid");
    }
  }

  http::Router Router() {
    http::Router r;
    r.Post("/v1/auth/token", [this](const http::Request& req) {
      const auto body = req.Json();
      std::lock_guard lock(mu);
      if (body.value("grant_type", "password") == "refresh_token") {
        if (!refresh_allowed ||
            body.value("refresh_token", "") != "r" + std::to_string(generation)) {
          throw Error(ErrorCode::kUnauthenticated, "the refresh token is not valid");
        }
      } else if (body.value("password", "") != "pw") {
        throw Error(ErrorCode::kUnauthenticated, "wrong user name or password");
      }
      return http::Response::Ok(Issue());
    });
    r.Get("/v1/instances/{id}", [this](const http::Request& req) {
      Authenticate(req);
      if (req.PathParam("id") != "ins_1") {
        throw Error(ErrorCode::kNotFound, "instance " + req.PathParam("id") + " not found", {},
                    {"list your instances with GET /v1/instances"});
      }
      return http::Response::Ok({{"id", "ins_1"}, {"name", "pg1"}, {"status", "running"}});
    });
    r.Get("/v1/instances", [this](const http::Request& req) {
      Authenticate(req);
      if (req.Query("page_token") == "p2") {
        return http::Response::Ok(
            {{"instances", json::array({{{"id", "ins_2"}}})}, {"next_page_token", ""}});
      }
      return http::Response::Ok(
          {{"instances", json::array({{{"id", "ins_1"}}})}, {"next_page_token", "p2"}});
    });
    r.Post("/v1/instances", [this](const http::Request& req) {
      Authenticate(req);
      const auto body = req.Json();
      if (body.value("size", "") != "micro") {
        throw Error(ErrorCode::kInvalidArgument, "the instance request is invalid",
                    {{"size", "must be one of micro, small"}});
      }
      return http::Response::Accepted({{"operation", {{"id", "op_ok"}}}, {"instance", body}});
    });
    r.Get("/v1/operations/{id}", [this](const http::Request& req) {
      Authenticate(req);
      const auto& id = req.PathParam("id");
      const int n = ++polls;
      json op{{"id", id},
              {"type", "restart"},
              {"target", "ins_1"},
              {"progress", n * 30},
              {"step", "step " + std::to_string(n)},
              {"status", "running"},
              {"error", nullptr}};
      if (id == "op_ok" && n >= 3) op["status"] = "succeeded";
      if (id == "op_fail" && n >= 2) {
        op["status"] = "failed";
        op["error"] = {{"code", "INTERNAL"}, {"message", "port taken"}};
      }
      return http::Response::Ok(op);
    });
    return r;
  }
};

struct Result {
  int code;
  std::string out;
  std::string err;
};

class CliAgainstFakeGateway : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<http::testing::TestServer>(gateway_.Router());
    url_ = "http://127.0.0.1:" + std::to_string(server_->Port());
    std::string tmpl = (fs::temp_directory_path() / "dbaasctl-itest.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    config_ = dir_ / "ctl" / "config.json";
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  Result RunCtl(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.push_back("--config");
    args.push_back(config_.string());
    std::istringstream in(stdin_text);
    auto* saved = std::cin.rdbuf(in.rdbuf());
    std::ostringstream out;
    std::ostringstream err;
    const int code = RunCli(std::move(args), out, err);
    std::cin.rdbuf(saved);
    return {code, out.str(), err.str()};
  }

  void LogIn() {
    const auto r = RunCtl({"login", "--url", url_, "--password-stdin"}, "pw\n");
    ASSERT_EQ(r.code, 0) << r.err;
  }

  Gateway gateway_;
  std::unique_ptr<http::testing::TestServer> server_;
  std::string url_;
  fs::path dir_;
  fs::path config_;
};

TEST_F(CliAgainstFakeGateway, LoginStoresTokensPrivatelyAndPrintsNone) {
  const auto r = RunCtl({"login", "--url", url_, "--password-stdin", "--output", "table"}, "pw\n");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("logged in to " + url_ + " as admin"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("a1"), std::string::npos);
  EXPECT_EQ(r.out.find("r1"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(config_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto config = LoadConfig(config_);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->access_token, "a1");
  EXPECT_EQ(config->refresh_token, "r1");
  EXPECT_EQ(config->url, url_);
  EXPECT_GT(config->access_token_expires_at, 0);
}

TEST_F(CliAgainstFakeGateway, WrongPasswordExitsFourAndStoresNothing) {
  const auto r = RunCtl({"login", "--url", url_, "--password-stdin"}, "nope\n");
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("error: UNAUTHENTICATED (HTTP 401): wrong user name or password"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(config_));
}

TEST_F(CliAgainstFakeGateway, A401IsRetriedOnceWithARenewedPairWhichIsSaved) {
  LogIn();
  auto config = *LoadConfig(config_);
  config.access_token = "stale";
  SaveConfig(config_, config);
  const auto r = RunCtl({"instance", "get", "ins_1", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["status"], "running");
  const auto renewed = *LoadConfig(config_);
  EXPECT_EQ(renewed.access_token, "a2");
  EXPECT_EQ(renewed.refresh_token, "r2");
}

TEST_F(CliAgainstFakeGateway, AnExpiredAccessTokenIsRenewedBeforeTheCall) {
  LogIn();
  auto config = *LoadConfig(config_);
  config.access_token_expires_at = 1;  // long past
  SaveConfig(config_, config);
  ASSERT_EQ(RunCtl({"instance", "get", "ins_1"}).code, 0);
  EXPECT_EQ(LoadConfig(config_)->access_token, "a2");
}

TEST_F(CliAgainstFakeGateway, ARefusedRefreshTokenAsksForLoginAndForgetsTheTokens) {
  LogIn();
  auto config = *LoadConfig(config_);
  config.access_token = "stale";
  SaveConfig(config_, config);
  gateway_.refresh_allowed = false;
  auto r = RunCtl({"instance", "get", "ins_1"});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("run dbaasctl login"), std::string::npos) << r.err;
  EXPECT_FALSE(LoadConfig(config_)->LoggedIn());
  r = RunCtl({"instance", "get", "ins_1"});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("not logged in"), std::string::npos) << r.err;
}

TEST_F(CliAgainstFakeGateway, NotFoundExitsThreeWithTheErrorBodyPrinted) {
  LogIn();
  const auto r = RunCtl({"instance", "get", "ins_nope"});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("error: NOT_FOUND (HTTP 404): instance ins_nope not found\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("  hint: list your instances with GET /v1/instances\n"), std::string::npos);
  EXPECT_NE(r.err.find("  request id: "), std::string::npos);
  EXPECT_TRUE(r.out.empty());
}

TEST_F(CliAgainstFakeGateway, InvalidArgumentExitsOneWithDetails) {
  LogIn();
  const auto r = RunCtl({"instance", "create", "pg1", "--engine", "postgresql", "--size", "huge",
                         "--storage-gb", "10", "--tenant", "ten_00000000000000000000000000"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("  size: must be one of micro, small\n"), std::string::npos) << r.err;
}

TEST_F(CliAgainstFakeGateway, CreateSendsTheRequestTheApiExpects) {
  LogIn();
  const auto r = RunCtl({"instance",     "create",
                         "pg1",          "--engine",
                         "postgresql",   "--size",
                         "micro",        "--storage-gb",
                         "10",           "--param",
                         "work_mem=8MB", "--label",
                         "team=a",       "--label",
                         "env=dev",      "--deletion-protection",
                         "--tenant",     "ten_00000000000000000000000000",
                         "--output",     "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto sent = json::parse(r.out)["instance"];  // the fake echoes the body
  EXPECT_EQ(sent, json::parse(R"({"name":"pg1","engine":"postgresql","size":"micro",
      "storage_gb":10,"parameters":{"work_mem":"8MB"},"labels":{"team":"a","env":"dev"},
      "deletion_protection":true,"tenant_id":"ten_00000000000000000000000000"})"));
}

TEST_F(CliAgainstFakeGateway, WaitFollowsTheOperationUntilItSucceeds) {
  LogIn();
  const auto r = RunCtl({"operation", "get", "op_ok", "--wait", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["status"], "succeeded");
  // Not a terminal: one plain line per change.
  EXPECT_NE(r.err.find("op_ok restart: running 30% (step 1) 0s\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("op_ok restart: succeeded 90% (step 3)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
}

TEST_F(CliAgainstFakeGateway, AFailedOperationExitsSevenWithItsError) {
  LogIn();
  const auto r = RunCtl({"operation", "get", "op_fail", "--wait"});
  EXPECT_EQ(r.code, 7);
  EXPECT_NE(r.err.find("error: operation op_fail (restart ins_1) failed: INTERNAL: port taken"),
            std::string::npos)
      << r.err;
}

TEST_F(CliAgainstFakeGateway, WaitGivesUpAfterTheTimeoutWithExitSix) {
  LogIn();
  const auto r = RunCtl({"operation", "get", "op_slow", "--wait", "--timeout", "1s"});
  EXPECT_EQ(r.code, 6);
  EXPECT_NE(r.err.find("gave up after 1s: operation op_slow is still running"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("dbaasctl operation get op_slow --wait"), std::string::npos);
}

TEST_F(CliAgainstFakeGateway, ListAllFollowsNextPageToken) {
  LogIn();
  auto r = RunCtl({"instance", "list", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["instances"].size(), 1u);
  EXPECT_EQ(json::parse(r.out)["next_page_token"], "p2");
  r = RunCtl({"instance", "list", "--all", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto all = json::parse(r.out);
  ASSERT_EQ(all["instances"].size(), 2u);
  EXPECT_EQ(all["instances"][1]["id"], "ins_2");
  EXPECT_TRUE(all["next_page_token"].is_null());
  r = RunCtl({"instance", "list", "--output", "table"});
  EXPECT_NE(r.err.find("add --all"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dbaas::ctl

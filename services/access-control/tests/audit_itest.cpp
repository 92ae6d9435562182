#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "ac_fixture.hpp"

namespace dbaas::access_control {
namespace {

using http::Method;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr std::string_view kPassword = "correct horse battery staple";

// The audit log against the real service: access-control's own records (logins, lockouts)
// travel outbox -> JetStream -> the audit consumer -> the hash chain in the audit database.
class AuditLogApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ac_ = std::make_unique<test::AcService>(
        std::map<std::string, std::string>{{"DBAAS_ADMIN_PASSWORD", "Audit-Admin-Pass-1"}});
  }
  static void TearDownTestSuite() { ac_.reset(); }

  static std::string Unique(const std::string& base) {
    static int counter = 0;
    return base + "-" + std::to_string(++counter);
  }

  static json List(const std::string& query, const std::string& token) {
    auto resp = ac_->Call(Method::kGet, "/v1/audit-events" + query, std::nullopt, token);
    EXPECT_EQ(resp.status, 200) << resp.body;
    return resp.Json();
  }

  // Polls the admin's view until `query` returns at least `count` entries.
  static json WaitFor(const std::string& query, std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    json body;
    while (std::chrono::steady_clock::now() < deadline) {
      body = List(query, ac_->AdminToken());
      if (body["audit_events"].size() >= count) return body;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "fewer than " << count << " audit events for " << query << ": " << body;
    return body;
  }

  static std::string AuditSql(const std::string& sql) {
    return ac_->Pg().Query(sql, "dbaas_audit");
  }

  static json Verify() {
    auto resp = ac_->Call(Method::kGet, "/v1/audit-events:verify", std::nullopt,
                          ac_->AdminToken());
    EXPECT_EQ(resp.status, 200) << resp.body;
    return resp.Json();
  }

  // Every appended entry of the chain is visible; waits until the consumer caught up with
  // everything queued so far (the newest login below is the marker).
  static void Settle() {
    const auto marker = ac_->LoginResponse("settle-" + Unique("x"), "nope");
    WaitFor("?request_id=" + *marker.Header("X-Request-Id"), 1);
  }

  static inline std::unique_ptr<test::AcService> ac_;
};

TEST_F(AuditLogApi, EveryLoginAttemptIsRecordedWithItsDetails) {
  const auto tenant = ac_->CreateTenant(Unique("audit"));
  const auto email = Unique("ann") + "@example.com";
  const auto user_id = ac_->CreateUser(email, std::string(kPassword), tenant, {"viewer"});

  http::Headers headers;
  headers.Set("User-Agent", "audit-test/1.0");
  auto ok = ac_->Call(Method::kPost, "/v1/auth/token",
                      json{{"username", email}, {"password", kPassword}}, {}, headers);
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto bad = ac_->LoginResponse(email, "wrong password");
  ASSERT_EQ(bad.status, 401);
  auto unknown = ac_->LoginResponse("nobody-" + Unique("u") + "@example.com", "whatever");
  ASSERT_EQ(unknown.status, 401);

  const auto success = WaitFor("?request_id=" + *ok.Header("X-Request-Id"), 1)["audit_events"][0];
  EXPECT_EQ(success["category"], "auth.login");
  EXPECT_EQ(success["outcome"], "success");
  EXPECT_EQ(success["actor"]["type"], "user");
  EXPECT_EQ(success["actor"]["id"], user_id);
  EXPECT_EQ(success["actor"]["name"], email);
  EXPECT_EQ(success["tenant_id"], tenant);
  EXPECT_EQ(success["action"], "auth:login");
  EXPECT_EQ(success["source"], "access-control");
  EXPECT_EQ(success["source_address"], "127.0.0.1");
  EXPECT_EQ(success["user_agent"], "audit-test/1.0");
  EXPECT_TRUE(success["time"].is_string());
  EXPECT_EQ(success["hash"].get<std::string>().size(), 64U);

  const auto failure = WaitFor("?request_id=" + *bad.Header("X-Request-Id"), 1)["audit_events"][0];
  EXPECT_EQ(failure["outcome"], "denied");
  EXPECT_EQ(failure["reason"], "wrong_password");
  EXPECT_EQ(failure["actor"]["id"], user_id);
  EXPECT_EQ(failure["tenant_id"], tenant);

  const auto anonymous =
      WaitFor("?request_id=" + *unknown.Header("X-Request-Id"), 1)["audit_events"][0];
  EXPECT_EQ(anonymous["outcome"], "denied");
  EXPECT_EQ(anonymous["reason"], "unknown_user");
  EXPECT_EQ(anonymous["actor"]["type"], "anonymous");
  EXPECT_TRUE(anonymous["actor"]["id"].is_null());

  // Nothing leaks the password.
  const auto all = List("?page_size=500", ac_->AdminToken()).dump();
  EXPECT_EQ(all.find(std::string(kPassword)), std::string::npos);
  EXPECT_EQ(all.find("wrong password\""), std::string::npos);
}

TEST_F(AuditLogApi, LockoutIsAudited) {
  const auto tenant = ac_->CreateTenant(Unique("lock"));
  const auto email = Unique("locked") + "@example.com";
  const auto user_id = ac_->CreateUser(email, std::string(kPassword), tenant, {"viewer"});
  for (int i = 0; i < 10; ++i) ASSERT_EQ(ac_->LoginResponse(email, "wrong").status, 401);
  const auto locks = WaitFor("?category=auth.lockout&actor_id=" + user_id, 1)["audit_events"];
  ASSERT_EQ(locks.size(), 1U) << locks;
  EXPECT_EQ(locks[0]["reason"], "too_many_failed_logins");
  EXPECT_EQ(locks[0]["tenant_id"], tenant);
}

TEST_F(AuditLogApi, FiltersAndPagesWithoutGapsOrRepeats) {
  const auto email = Unique("pager") + "@example.com";
  ac_->CreateUser(email, std::string(kPassword), ac_->CreateTenant(Unique("pg")), {"viewer"});
  for (int i = 0; i < 7; ++i) ASSERT_EQ(ac_->LoginResponse(email, "no").status, 401);
  const auto all = WaitFor("?outcome=denied&page_size=500", 7)["audit_events"];

  std::vector<std::string> seen;
  std::string token;
  do {
    auto page = List("?outcome=denied&page_size=3" +
                         (token.empty() ? std::string() : "&page_token=" + token),
                     ac_->AdminToken());
    EXPECT_LE(page["audit_events"].size(), 3U);
    for (const auto& e : page["audit_events"]) {
      EXPECT_EQ(e["outcome"], "denied");
      seen.push_back(e["id"]);
    }
    token = page["next_page_token"].get<std::string>();
  } while (!token.empty() && seen.size() < 1000);
  // Newest first, each once; entries appended meanwhile only appear before the first page.
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size());
  EXPECT_GE(seen.size(), all.size());

  auto bad = ac_->Call(Method::kGet, "/v1/audit-events?outcome=maybe&since=yesterday&page_size=0",
                       std::nullopt, ac_->AdminToken());
  ASSERT_EQ(bad.status, 400) << bad.body;
  const auto details = bad.Json()["error"]["details"].dump();
  for (const char* field : {"outcome", "since", "page_size"}) {
    EXPECT_NE(details.find(field), std::string::npos) << field << " in " << details;
  }
}

TEST_F(AuditLogApi, TenantsSeeOnlyTheirOwnEntries) {
  const auto mine = ac_->CreateTenant(Unique("mine"));
  const auto theirs = ac_->CreateTenant(Unique("theirs"));
  const auto admin_email = Unique("tadmin") + "@example.com";
  ac_->CreateUser(admin_email, std::string(kPassword), mine, {"tenant-admin"});
  const auto other_email = Unique("other") + "@example.com";
  const auto other_id =
      ac_->CreateUser(other_email, std::string(kPassword), theirs, {"tenant-admin"});
  ASSERT_EQ(ac_->LoginResponse(other_email, "wrong").status, 401);
  const auto token = ac_->Login(admin_email, std::string(kPassword));
  const auto foreign = WaitFor("?actor_id=" + other_id, 1)["audit_events"][0];

  Settle();
  const auto page = List("?page_size=500", token);
  ASSERT_FALSE(page["audit_events"].empty());  // at least the tenant admin's own login
  for (const auto& e : page["audit_events"]) EXPECT_EQ(e["tenant_id"], mine) << e;

  auto cross = ac_->Call(Method::kGet, "/v1/audit-events?tenant_id=" + theirs, std::nullopt, token);
  EXPECT_EQ(cross.status, 404) << cross.body;
  auto direct = ac_->Call(Method::kGet, "/v1/audit-events/" + foreign["id"].get<std::string>(),
                          std::nullopt, token);
  EXPECT_EQ(direct.status, 404) << direct.body;
  auto verify = ac_->Call(Method::kGet, "/v1/audit-events:verify", std::nullopt, token);
  EXPECT_EQ(verify.status, 403) << verify.body;

  // The database enforces the same scope for the writer role (row-level security).
  const auto visible = AuditSql(
      "SET ROLE dbaas_audit_writer; SELECT set_config('dbaas.audit_scope', '" + mine +
      "', false); SELECT count(*) FROM audit_events WHERE tenant_id <> '" + mine + "'");
  EXPECT_TRUE(visible.ends_with("\n0\n")) << visible;
  const auto unscoped =
      AuditSql("SET ROLE dbaas_audit_writer; SELECT count(*) FROM audit_events");
  EXPECT_TRUE(unscoped.ends_with("0\n")) << unscoped;
}

TEST_F(AuditLogApi, TheWriterRoleMayOnlyInsertAndSelect) {
  Settle();  // at least one entry, so row-level guards have a row to refuse
  const auto privileges = AuditSql(
      "SELECT string_agg(p || '=' || has_table_privilege('dbaas_audit_writer', 'audit_events', "
      "p)::text, ',' ORDER BY p) FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE',"
      "'TRUNCATE','REFERENCES','TRIGGER']) AS p");
  EXPECT_EQ(privileges,
            "DELETE=false,INSERT=true,REFERENCES=false,SELECT=true,TRIGGER=false,"
            "TRUNCATE=false,UPDATE=false\n");
  EXPECT_THROW(AuditSql("SET ROLE dbaas_audit_writer; SELECT set_config('dbaas.audit_scope', "
                        "'*', false); UPDATE audit_events SET outcome = 'success'"),
               std::runtime_error);
  // Even the owner cannot change history without dropping the guard first.
  EXPECT_THROW(AuditSql("SET ROLE dbaas_audit; DELETE FROM audit_events"), std::runtime_error);
  EXPECT_THROW(AuditSql("TRUNCATE audit_events"), std::runtime_error);
  // And the API has no route that would.
  for (auto method : {Method::kDelete, Method::kPatch, Method::kPut}) {
    auto resp = ac_->Call(method, "/v1/audit-events/evt_00000000000000000000000000",
                          json::object(), ac_->AdminToken());
    EXPECT_EQ(resp.status, 405) << resp.body;
  }
}

// Runs last in the suite (it breaks the chain on purpose): gtest runs tests in order.
TEST_F(AuditLogApi, VerifyFindsTheFirstChangedOrMissingEntry) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(ac_->LoginResponse("chain-" + Unique("c"), "x").status, 401);
  Settle();
  auto report = Verify();
  ASSERT_TRUE(report["valid"].get<bool>()) << report;
  const auto head = report["head"]["seq"].get<std::int64_t>();
  ASSERT_GE(head, 5);
  EXPECT_EQ(report["checked"], head);
  EXPECT_TRUE(report["first_broken_link"].is_null());

  // A superuser edits entry 3 behind the service's back.
  const std::string target = "3";
  AuditSql("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change; "
           "UPDATE audit_events SET outcome = 'success', reason = '' WHERE seq = " + target +
           "; ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change");
  report = Verify();
  EXPECT_FALSE(report["valid"].get<bool>()) << report;
  EXPECT_EQ(report["first_broken_link"]["seq"], 3) << report;
  EXPECT_NE(report["first_broken_link"]["problem"].get<std::string>().find("changed"),
            std::string::npos)
      << report;
  EXPECT_EQ(report["checked"], 2);

  // Removing entry 2 is found as a gap, earlier than the edit.
  AuditSql("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change; "
           "DELETE FROM audit_events WHERE seq = 2; "
           "ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change");
  report = Verify();
  EXPECT_FALSE(report["valid"].get<bool>());
  EXPECT_EQ(report["first_broken_link"]["seq"], 2) << report;
  EXPECT_NE(report["first_broken_link"]["problem"].get<std::string>().find("missing"),
            std::string::npos)
      << report;
}

}  // namespace
}  // namespace dbaas::access_control

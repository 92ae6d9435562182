#include "output.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "exit_code.hpp"

namespace dbaas::ctl {
namespace {

using nlohmann::json;

TEST(ChooseOutputFormat, TableOnATerminalJsonInPipesUnlessAsked) {
  EXPECT_EQ(ChooseOutputFormat(std::nullopt, true), OutputFormat::kTable);
  EXPECT_EQ(ChooseOutputFormat(std::nullopt, false), OutputFormat::kJson);
  EXPECT_EQ(ChooseOutputFormat(std::string("table"), false), OutputFormat::kTable);
  EXPECT_EQ(ChooseOutputFormat(std::string("json"), true), OutputFormat::kJson);
  EXPECT_THROW(ChooseOutputFormat(std::string("yaml"), true), UsageError);
}

TEST(FormatTable, AlignsColumnsWithoutTrailingSpaces) {
  const auto text = FormatTable({"ID", "NAME", "STATUS"},
                                {{"ins_1", "a-long-name", "running"}, {"ins_22", "b", "-"}});
  EXPECT_EQ(text,
            "ID      NAME         STATUS\n"
            "ins_1   a-long-name  running\n"
            "ins_22  b            -\n");
}

TEST(FormatTable, NoRowsStillPrintsTheHeader) {
  EXPECT_EQ(FormatTable({"ID", "NAME"}, {}), "ID  NAME\n");
}

TEST(FormatFields, AlignsValues) {
  EXPECT_EQ(FormatFields({{"id", "ins_1"}, {"status", "running"}, {"x", ""}}),
            "id:      ins_1\n"
            "status:  running\n"
            "x:\n");
}

TEST(CellText, RendersEveryJsonKind) {
  EXPECT_EQ(CellText(nullptr), "-");
  EXPECT_EQ(CellText(""), "-");
  EXPECT_EQ(CellText("abc"), "abc");
  EXPECT_EQ(CellText(42), "42");
  EXPECT_EQ(CellText(true), "true");
  EXPECT_EQ(CellText(json::object()), "-");
  EXPECT_EQ(CellText(json{{"env", "prod"}, {"n", 2}}), "env=prod,n=2");
  EXPECT_EQ(CellText(json::array({"a", 1})), "a,1");
  EXPECT_EQ(Field(json{{"a", 1}}, "missing"), "-");
}

json Instance() {
  return json{{"id", "ins_1"},
              {"tenant_id", "ten_1"},
              {"name", "pg1"},
              {"engine", "postgresql"},
              {"version", "15"},
              {"size", "micro"},
              {"storage_gb", 10},
              {"status", "running"},
              {"status_detail", nullptr},
              {"endpoint", {{"host", "127.0.0.1"}, {"port", 40001}}}};
}

TEST(InstancesTable, ShowsKeyFieldsAndEndpoint) {
  auto pending = Instance();
  pending["id"] = "ins_2";
  pending["status"] = "provisioning";
  pending["endpoint"] = nullptr;
  const auto text = InstancesTable(json::array({Instance(), pending}));
  EXPECT_EQ(
      text,
      "ID     NAME  ENGINE      VERSION  SIZE   STORAGE_GB  STATUS        ENDPOINT         TENANT\n"
      "ins_1  pg1   postgresql  15       micro  10          running       127.0.0.1:40001  ten_1\n"
      "ins_2  pg1   postgresql  15       micro  10          provisioning  -                "
      "ten_1\n");
}

TEST(InstanceFields, ListsTheInstance) {
  const auto text = InstanceFields(Instance());
  EXPECT_NE(text.find("status:                running\n"), std::string::npos) << text;
  EXPECT_NE(text.find("endpoint:              127.0.0.1:40001\n"), std::string::npos) << text;
  EXPECT_NE(text.find("parameter_group:       -\n"), std::string::npos) << text;
}

TEST(InstanceFields, NamesTheParameterGroupAndVersion) {
  auto instance = Instance();
  instance["parameter_group"] = {{"id", "pgr_1"}, {"name", "oltp"}, {"version", 3}};
  const auto text = InstanceFields(instance);
  EXPECT_NE(text.find("parameter_group:       oltp (pgr_1) v3\n"), std::string::npos) << text;
}

TEST(ParameterGroupsTable, ShowsOneRowPerGroup) {
  const json groups = json::array({{{"id", "pgr_1"}, {"name", "oltp"}, {"engine", "mysql"},
                                    {"version", 2}, {"builtin", false}, {"description", ""}}});
  const auto text = ParameterGroupsTable(groups);
  EXPECT_EQ(text, "ID     NAME  ENGINE  VERSION  BUILTIN  DESCRIPTION\n"
                  "pgr_1  oltp  mysql   2        false    -\n")
      << text;
}

TEST(OperationFields, ShowsTheErrorOfAFailedOperation) {
  const json op{{"id", "op_1"},
                {"type", "create"},
                {"target", "ins_1"},
                {"status", "failed"},
                {"progress", 40},
                {"step", "start"},
                {"error", {{"code", "INTERNAL"}, {"message", "port taken"}}}};
  const auto text = OperationFields(op);
  EXPECT_NE(text.find("progress:    40%\n"), std::string::npos) << text;
  EXPECT_NE(text.find("error:       INTERNAL: port taken\n"), std::string::npos) << text;
}

TEST(CredentialsFields, ShowsUriAndPasswordButNotTheCa) {
  const auto text = CredentialsFields({{"username", "dbaas_admin"},
                                       {"password", "pw"},
                                       {"uri", "postgresql://x"},
                                       {"ca_pem", "PEM"}});
  EXPECT_EQ(text, "username:  dbaas_admin\npassword:  pw\nuri:       postgresql://x\n");
}

TEST(ParseDuration, AcceptsSecondsMinutesHoursAndCombinations) {
  using std::chrono::seconds;
  EXPECT_EQ(ParseDuration("90", "timeout"), seconds(90));
  EXPECT_EQ(ParseDuration("90s", "timeout"), seconds(90));
  EXPECT_EQ(ParseDuration("10m", "timeout"), seconds(600));
  EXPECT_EQ(ParseDuration("1h30m", "timeout"), seconds(5400));
  for (const char* bad : {"", "m", "10x", "-5s", "0", "1m30", "1.5m"}) {
    EXPECT_THROW(ParseDuration(bad, "timeout"), UsageError) << bad;
  }
}

TEST(FormatElapsed, IsShortAndReadable) {
  using std::chrono::seconds;
  EXPECT_EQ(FormatElapsed(seconds(7)), "7s");
  EXPECT_EQ(FormatElapsed(seconds(65)), "1m05s");
  EXPECT_EQ(FormatElapsed(seconds(3720)), "1h02m");
}

TEST(ProgressLine, NamesStatusProgressStepAndElapsed) {
  const json op{{"id", "op_1"},
                {"type", "create"},
                {"status", "running"},
                {"progress", 40},
                {"step", "starting server"}};
  EXPECT_EQ(ProgressLine(op, std::chrono::seconds(12)),
            "op_1 create: running 40% (starting server) 12s");
  EXPECT_EQ(ProgressLine({{"id", "op_2"}, {"type", "delete"}, {"status", "pending"}},
                         std::chrono::seconds(0)),
            "op_2 delete: pending 0s");
}

}  // namespace
}  // namespace dbaas::ctl

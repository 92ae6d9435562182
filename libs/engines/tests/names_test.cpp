#include <gtest/gtest.h>

#include "dbaas/engines/names.hpp"

namespace dbaas::engines {
namespace {

TEST(Names, AcceptsPlainNames) {
  for (auto engine : {Engine::kPostgresql, Engine::kMysql}) {
    EXPECT_NO_THROW(ValidateName(engine, ObjectKind::kDatabase, "app_db1"));
    EXPECT_NO_THROW(ValidateName(engine, ObjectKind::kUser, "_reader"));
  }
}

TEST(Names, RejectsInjectionReservedAndLongNames) {
  const std::vector<std::string> bad = {
      "x\"; DROP DATABASE postgres; --", "a`b", "'", "Robert'); DROP TABLE students;--",
      "naïve", "UPPER", "1abc", "", "a b", "a-b", "postgres", "template0", "template1", "mysql",
      "information_schema", "performance_schema", "sys", "root", "pg_admin", "dbaas_admin",
      std::string(64, 'a')};
  for (const auto& name : bad) {
    try {
      ValidateName(Engine::kPostgresql, ObjectKind::kDatabase, name, "database.name");
      ADD_FAILURE() << "accepted " << name;
    } catch (const Error& e) {
      EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
      ASSERT_EQ(e.Details().size(), 1U);
      EXPECT_EQ(e.Details()[0].field, "database.name");
    }
  }
  EXPECT_NE(NameProblem(Engine::kPostgresql, ObjectKind::kUser, std::string(64, 'a')), "");
  EXPECT_EQ(NameProblem(Engine::kPostgresql, ObjectKind::kUser, std::string(63, 'a')), "");
  EXPECT_EQ(NameProblem(Engine::kMysql, ObjectKind::kUser, std::string(80, 'a')), "");
  EXPECT_NE(NameProblem(Engine::kMysql, ObjectKind::kUser, std::string(81, 'a')), "");
  EXPECT_EQ(NameProblem(Engine::kMysql, ObjectKind::kDatabase, std::string(64, 'a')), "");
  EXPECT_NE(NameProblem(Engine::kMysql, ObjectKind::kDatabase, std::string(65, 'a')), "");
}

TEST(Names, TablesMayUseAnyPrintableName) {
  EXPECT_EQ(NameProblem(Engine::kPostgresql, ObjectKind::kTable, "Order Items"), "");
  EXPECT_EQ(NameProblem(Engine::kPostgresql, ObjectKind::kSchema, "public"), "");
  EXPECT_NE(NameProblem(Engine::kPostgresql, ObjectKind::kSchema, "pg_catalog"), "");
  EXPECT_NE(NameProblem(Engine::kPostgresql, ObjectKind::kTable, "a\nb"), "");
}

TEST(Names, QuotesIdentifiersAndLiterals) {
  EXPECT_EQ(QuotePostgresIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteMysqlIdentifier("a`b"), "`a``b`");
  EXPECT_EQ(QuotePostgresLiteral("it's"), "'it''s'");
  EXPECT_EQ(QuotePostgresLiteral("a\\b'"), "E'a\\\\b'''");
  EXPECT_EQ(QuoteMysqlLiteral("a'b\\c\n"), "'a''b\\\\c\\n'");
  EXPECT_EQ(QuoteMysqlLiteral("a'b\\c", true), "'a''b\\c'");
  EXPECT_THROW(QuotePostgresIdentifier(std::string("a\0b", 3)), Error);
}

TEST(Privileges, NormalisesAndRejectsOutsideTheAllowlist) {
  EXPECT_EQ(NormalizePrivileges(Engine::kPostgresql, GrantLevel::kTable, {"select", "Insert", "SELECT"}),
            (std::vector<std::string>{"SELECT", "INSERT"}));
  EXPECT_EQ(NormalizePrivileges(Engine::kMysql, GrantLevel::kDatabase, {"all privileges"}),
            (std::vector<std::string>{"ALL"}));
  try {
    NormalizePrivileges(Engine::kPostgresql, GrantLevel::kTable, {"SELECT", "SUPERUSER", "SELECT; DROP"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    ASSERT_EQ(e.Details().size(), 2U);
    EXPECT_EQ(e.Details()[0].field, "privileges[1]");
  }
  EXPECT_THROW(NormalizePrivileges(Engine::kMysql, GrantLevel::kSchema, {"SELECT"}), Error);
  EXPECT_THROW(NormalizePrivileges(Engine::kMysql, GrantLevel::kTable, {}), Error);
}

}  // namespace
}  // namespace dbaas::engines

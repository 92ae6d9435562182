#include "dbaas/engines/backup.hpp"

#include <gtest/gtest.h>

#include "dbaas/common/error.hpp"
#include "dbaas/engines/config.hpp"

namespace dbaas::engines {
namespace {

using std::chrono::system_clock;

BackupSource Source(Engine engine) {
  BackupSource s;
  s.engine = engine;
  s.port = 5432;
  s.admin_user = "dbaas_admin";
  s.admin_password = "s3cret-Password";
  s.ca_file = "/state/ca.pem";
  s.data_dir = "/state/data";
  s.tmp_dir = "/state/run";
  return s;
}

system_clock::time_point Utc(int y, int mo, int d, int h, int mi, int s, int micros = 0) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return system_clock::from_time_t(::timegm(&tm)) + std::chrono::microseconds(micros);
}

TEST(BackupCommand, PasswordOnlyInTheEnvironmentForEveryEngineAndKind) {
  for (auto engine : {Engine::kPostgresql, Engine::kMysql}) {
    for (auto kind : {BackupKind::kFull, BackupKind::kLogical}) {
      const auto cmd = BackupCommand(Source(engine), kind);
      for (const auto& arg : cmd.argv) {
        EXPECT_EQ(arg.find("s3cret"), std::string::npos) << arg;
      }
      const std::string var = engine == Engine::kPostgresql ? "PGPASSWORD=" : "MYSQL_PWD=";
      EXPECT_NE(std::find(cmd.env.begin(), cmd.env.end(), var + "s3cret-Password"), cmd.env.end());
      EXPECT_EQ(cmd.argv[0][0], '/');
    }
  }
}

TEST(BackupCommand, PostgresFullIsOneTarOnStdoutWithWalAndVerifiedTls) {
  const auto cmd = BackupCommand(Source(Engine::kPostgresql), BackupKind::kFull);
  auto has = [&](const std::string& a) {
    return std::find(cmd.argv.begin(), cmd.argv.end(), a) != cmd.argv.end();
  };
  EXPECT_TRUE(has("--pgdata=-"));
  EXPECT_TRUE(has("--format=tar"));
  EXPECT_TRUE(has("--wal-method=fetch"));
  EXPECT_TRUE(has("--checkpoint=fast"));
  EXPECT_NE(cmd.argv[1].find("sslmode=verify-full"), std::string::npos);
}

TEST(BackupCommand, MariaDbFullNeedsTheDataDirectory) {
  auto s = Source(Engine::kMysql);
  s.data_dir.clear();
  try {
    BackupCommand(s, BackupKind::kFull);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.Details().at(0).field, "data_dir");
  }
  EXPECT_NO_THROW(BackupCommand(s, BackupKind::kLogical));
}

TEST(ParseBackupLog, ReadsPgBasebackupLsnsAndMariaBackupPosition) {
  const auto pg = ParseBackupLog(Engine::kPostgresql,
                                 "pg_basebackup: checkpoint completed\n"
                                 "pg_basebackup: write-ahead log start point: 0/2000028 on "
                                 "timeline 1\n"
                                 "pg_basebackup: write-ahead log end point: 0/2000100\n");
  EXPECT_EQ(pg.wal_start_lsn, "0/2000028");
  EXPECT_EQ(pg.wal_end_lsn, "0/2000100");
  EXPECT_EQ(pg.timeline, 1U);
  const auto my = ParseBackupLog(Engine::kMysql,
                                 "[00] 2024-01-01 10:00:00 MySQL binlog position: filename "
                                 "'binlog.000002', position '345', GTID of the last change "
                                 "'0-7-12'\n");
  ASSERT_TRUE(my.binlog);
  EXPECT_EQ(my.binlog->file, "binlog.000002");
  EXPECT_EQ(my.binlog->position, 345U);
  EXPECT_EQ(my.binlog->gtid, "0-7-12");
}

TEST(ParseBackupLog, DumpAndXtrabackupPositions) {
  const auto dump = ParseDumpBinlogPosition(
      "-- MariaDB dump\n-- SET GLOBAL gtid_slave_pos='0-1-9';\n"
      "-- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000003', MASTER_LOG_POS=1234;\n");
  ASSERT_TRUE(dump);
  EXPECT_EQ(dump->file, "binlog.000003");
  EXPECT_EQ(dump->position, 1234U);
  EXPECT_EQ(dump->gtid, "0-1-9");
  EXPECT_FALSE(ParseDumpBinlogPosition("-- no position here\n"));
  const auto info = ParseXtrabackupBinlogInfo("binlog.000004\t789\t0-1-3\n");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->file, "binlog.000004");
  EXPECT_EQ(info->position, 789U);
}

TEST(MariaDbStopDatetime, IncludesTheWholeSecondOfTheTarget) {
  // A transaction at 12:00:05.7 has binlog time 12:00:05; a target anywhere in that second
  // includes it, so replay stops before the first event of 12:00:06.
  EXPECT_EQ(MariaDbStopDatetime(Utc(2024, 1, 31, 12, 0, 5, 200000)), "2024-01-31 12:00:06");
  EXPECT_EQ(MariaDbStopDatetime(Utc(2024, 1, 31, 12, 0, 5)), "2024-01-31 12:00:06");
  EXPECT_EQ(MariaDbStopDatetime(Utc(2024, 12, 31, 23, 59, 59, 999999)), "2025-01-01 00:00:00");
}

TEST(RecoveryConfig, TargetIsUtcWithMicrosecondsInclusiveThenPromote) {
  RecoveryTarget r;
  r.restore_command = "cp /archive/%f %p";
  r.target_time = Utc(2024, 1, 31, 12, 0, 5, 123456);
  const auto text = RenderRecoveryConfig(r);
  EXPECT_NE(text.find("recovery_target_time = '2024-01-31 12:00:05.123456+00'"), std::string::npos)
      << text;
  EXPECT_NE(text.find("recovery_target_inclusive = on"), std::string::npos);
  EXPECT_NE(text.find("recovery_target_action = 'promote'"), std::string::npos);
  r.restore_command = "cp x %p\nrestore_command = 'evil'";
  EXPECT_THROW(RenderRecoveryConfig(r), Error);
}

TEST(ArchiveConfig, RendersIntoTheEngineConfig) {
  ArchiveSettings a;
  a.archive_command = "test ! -f /a/%f && cp %p /a/%f";
  PlatformSettings p;
  p.port = 5432;
  p.archive = a;
  const auto pg = RenderConfig(Engine::kPostgresql, *FindSize("micro"), {}, p);
  EXPECT_NE(pg.find("archive_mode = on"), std::string::npos);
  EXPECT_NE(pg.find("archive_command = 'test ! -f /a/%f && cp %p /a/%f'"), std::string::npos);
  EXPECT_NE(pg.find("archive_timeout = 60"), std::string::npos);
  a.server_id = 77;
  p.archive = a;
  const auto my = RenderConfig(Engine::kMysql, *FindSize("micro"), {}, p);
  EXPECT_NE(my.find("log_bin = binlog\n"), std::string::npos);
  EXPECT_NE(my.find("binlog_format = ROW"), std::string::npos);
  EXPECT_NE(my.find("server_id = 77"), std::string::npos);
  EXPECT_NE(my.find("sync_binlog = 1"), std::string::npos);
  a.binlog_basename = "../elsewhere";
  EXPECT_THROW(RenderArchiveConfig(Engine::kMysql, a), Error);
  a.archive_command = "cp %p /a\n";
  EXPECT_THROW(RenderArchiveConfig(Engine::kPostgresql, a), Error);
}

TEST(FileTemplate, QuotesNamesForTheShell) {
  EXPECT_EQ(ExpandFileTemplate("cp /arch/%f %p && echo 100%%", "binlog.000002", "/x/it's"),
            "cp /arch/'binlog.000002' '/x/it'\\''s' && echo 100%");
}

TEST(Binlogs, ParsesListsEventTimesAndNames) {
  const auto files = ParseShowBinaryLogs("binlog.000001\t1234\nbinlog.000002\t389\n");
  ASSERT_EQ(files.size(), 2U);
  EXPECT_TRUE(files[0].closed);
  EXPECT_FALSE(files[1].closed);
  EXPECT_EQ(files[0].size, 1234U);
  BinlogFile f;
  ParseBinlogEventTimes(
      "# at 4\n#240131 12:00:01 server id 1  end_log_pos 256 CRC32 0x1 Start: binlog v 4\n"
      "BINLOG '\n#240131 12:00:01 not a header\n'\n"
      "#240131 12:00:07 server id 1  end_log_pos 300 CRC32 0x2 Rotate to binlog.000002\n",
      f);
  ASSERT_TRUE(f.first_event && f.last_event);
  EXPECT_EQ(*f.first_event, Utc(2024, 1, 31, 12, 0, 1));
  EXPECT_EQ(*f.last_event, Utc(2024, 1, 31, 12, 0, 7));
  EXPECT_EQ(NextBinlogName("binlog.000009"), "binlog.000010");
  EXPECT_EQ(NextBinlogName("binlog.999999"), "binlog.1000000");
  EXPECT_FALSE(NextBinlogName("binlog"));
}

}  // namespace
}  // namespace dbaas::engines

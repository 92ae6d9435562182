#include <gtest/gtest.h>
#include <sys/stat.h>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "pipeline/pipeline.hpp"
#include "storage/filesystem_store.hpp"
#include "test_support.hpp"

namespace dbaas::backup {
namespace {

namespace fs = std::filesystem;

unsigned ModeOf(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

TEST(FilesystemStore, WritesPrivateFilesAtomically) {
  test::TempDir dir;
  FilesystemStore store({dir.Path() / "backups", {}});
  auto writer = store.OpenWriter("ins_1/bak_1.dbk");
  writer->Write("hello ");
  EXPECT_FALSE(store.Stat("ins_1/bak_1.dbk").has_value()) << "visible before commit";
  writer->Write("world");
  writer->Commit();
  EXPECT_EQ(test::ReadAll(dir.Path() / "backups/ins_1/bak_1.dbk"), "hello world");
  EXPECT_EQ(ModeOf(dir.Path() / "backups"), 0700U);
  EXPECT_EQ(ModeOf(dir.Path() / "backups/ins_1"), 0700U);
  EXPECT_EQ(ModeOf(dir.Path() / "backups/ins_1/bak_1.dbk"), 0600U);
  const auto info = store.Stat("ins_1/bak_1.dbk");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, 11U);

  auto reader = store.OpenReader("ins_1/bak_1.dbk");
  char buf[64];
  const auto n = reader->Read(buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n), "hello world");
  EXPECT_EQ(reader->Read(buf, sizeof buf), 0U);
}

TEST(FilesystemStore, AnUncommittedWriterLeavesNothing) {
  test::TempDir dir;
  FilesystemStore store({dir.Path(), {}});
  {
    auto writer = store.OpenWriter("ins_1/bak_2.dbk");
    writer->Write(std::string(100000, 'x'));
  }
  EXPECT_FALSE(store.Stat("ins_1/bak_2.dbk").has_value());
  EXPECT_EQ(test::CountFiles(dir.Path()), 0U);
  auto aborted = store.OpenWriter("ins_1/bak_3.dbk");
  aborted->Write("abc");
  aborted->Abort();
  EXPECT_THROW(aborted->Commit(), Error);
  EXPECT_EQ(test::CountFiles(dir.Path()), 0U);
}

TEST(FilesystemStore, ListStatDeleteAndCapacity) {
  test::TempDir dir;
  FilesystemStore store({dir.Path(), {}});
  for (const char* key : {"ins_2/b.dbk", "ins_1/a.dbk", "ins_1/c.dbk", "other.dbk"}) {
    auto w = store.OpenWriter(key);
    w->Write(key);
    w->Commit();
  }
  auto in_progress = store.OpenWriter("ins_1/z.dbk");
  in_progress->Write("not yet");
  const auto listed = store.List("ins_1/");
  ASSERT_EQ(listed.size(), 2U);
  EXPECT_EQ(listed[0].key, "ins_1/a.dbk");
  EXPECT_EQ(listed[1].key, "ins_1/c.dbk");
  EXPECT_EQ(store.List("").size(), 4U);
  const auto capacity = store.Capacity();
  EXPECT_GE(capacity.used_bytes, 11U + 11U + 11U + 9U);
  ASSERT_TRUE(capacity.total_bytes && capacity.free_bytes);
  EXPECT_GT(*capacity.total_bytes, *capacity.free_bytes);
  store.Delete("ins_2/b.dbk");
  store.Delete("ins_2/b.dbk");  // idempotent
  EXPECT_FALSE(fs::exists(dir.Path() / "ins_2")) << "emptied directory left behind";
  EXPECT_THROW(store.OpenReader("ins_2/b.dbk"), Error);
}

TEST(FilesystemStore, KeysCannotEscapeTheRoot) {
  test::TempDir dir;
  FilesystemStore store({dir.Path() / "root", {}});
  for (const char* key : {"../escape.dbk", "/tmp/escape.dbk", "a/../../escape.dbk"}) {
    try {
      store.OpenWriter(key);
      FAIL() << key;
    } catch (const Error& e) {
      EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
    }
  }
  EXPECT_FALSE(fs::exists(dir.Path() / "escape.dbk"));
}

TEST(FilesystemStore, StorageFullMidBackupLeavesNoPartialObject) {
  test::TempDir dir;
  FilesystemStore store({dir.Path(), 3 * 1024 * 1024});
  const auto ring = test::RingOf(crypto::GenerateKey("mk"));
  StringSource small("fits");
  WriteBackup(small, store, "ins_1/small.dbk", ring);
  StringSource big(crypto::RandomBytes(8 * 1024 * 1024));  // incompressible, over the quota
  BackupOptions uncompressed;
  uncompressed.compression = Compression::kNone;
  try {
    WriteBackup(big, store, "ins_1/big.dbk", ring, uncompressed);
    FAIL() << "a backup larger than the quota succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kResourceExhausted);
    EXPECT_NE(std::string(e.what()).find("full"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(store.Stat("ins_1/big.dbk").has_value());
  EXPECT_EQ(test::CountFiles(dir.Path()), 1U) << "partial upload left on disk";
  EXPECT_NO_THROW(VerifyBackup(store, "ins_1/small.dbk", ring));
}

TEST(FilesystemStore, LeftoverUploadsOfACrashAreRemovedAtStart) {
  test::TempDir dir;
  fs::create_directories(dir.Path() / ".incoming");
  test::WriteAll(dir.Path() / ".incoming/dead.part", "half a backup");
  FilesystemStore store({dir.Path(), {}});
  EXPECT_EQ(test::CountFiles(dir.Path()), 0U);
}

}  // namespace
}  // namespace dbaas::backup

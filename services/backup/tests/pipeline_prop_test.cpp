#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "pipeline/pipeline.hpp"
#include "storage/filesystem_store.hpp"
#include "test_support.hpp"

namespace dbaas::backup {
namespace {

using test::ReadAll;
using test::WriteAll;

struct Case {
  std::string payload;
  std::string sample;
  Compression compression;
  std::uint32_t chunk_size;
};

// A payload of random filler (random bytes or repetitive text, so compression matters) with a
// recognisable table row repeated inside it.
rc::Gen<Case> Cases() {
  return rc::gen::exec([] {
    Case c;
    c.sample = "42\talice@example.com\t" +
               crypto::HexEncode(crypto::RandomBytes(*rc::gen::inRange<std::size_t>(4, 16))) +
               "\tgold\n";
    const auto pieces = *rc::gen::inRange(0, 12);
    for (int i = 0; i < pieces; ++i) {
      if (*rc::gen::arbitrary<bool>()) {
        c.payload += crypto::RandomBytes(*rc::gen::inRange<std::size_t>(0, 3000));
      } else {
        c.payload += std::string(*rc::gen::inRange<std::size_t>(0, 5000),
                                 static_cast<char>(*rc::gen::inRange(32, 127)));
      }
      c.payload += c.sample;
    }
    c.compression = *rc::gen::element(Compression::kNone, Compression::kZstd, Compression::kGzip,
                                      Compression::kLz4);
    c.chunk_size = *rc::gen::element<std::uint32_t>(16, 256, 4096, 1 << 20);
    return c;
  });
}

struct Stored {
  test::TempDir dir;
  std::unique_ptr<FilesystemStore> store;
  crypto::KeyRing ring = test::RingOf(crypto::GenerateKey("mk"));
  BackupResult result;
  std::filesystem::path file;
};

std::unique_ptr<Stored> Store(const Case& c) {
  auto s = std::make_unique<Stored>();
  s->store = std::make_unique<FilesystemStore>(FilesystemStoreConfig{s->dir.Path() / "b", {}});
  StringSource source(c.payload);
  BackupOptions options;
  options.compression = c.compression;
  options.chunk_size = c.chunk_size;
  s->result = WriteBackup(source, *s->store, "ins_1/bak_1.dbk", s->ring, options);
  s->file = s->dir.Path() / "b" / "ins_1" / "bak_1.dbk";
  return s;
}

// Restores and returns the error code, or nullopt when the restore succeeded.
std::optional<ErrorCode> RestoreCode(Stored& s, std::string* restored = nullptr) {
  StringSink sink;
  try {
    ReadBackup(*s.store, "ins_1/bak_1.dbk", s.ring, sink);
  } catch (const Error& e) {
    return e.Code();
  }
  if (restored != nullptr) *restored = sink.Data();
  return std::nullopt;
}

// Property 14: Backup Encryption
RC_GTEST_PROP(BackupEncryption, StoredBytesNeverContainPlaintextAndRoundTrip, ()) {
  const auto c = *Cases();
  auto s = Store(c);
  const auto stored = ReadAll(s->file);
  RC_ASSERT(stored.find(c.sample) == std::string::npos);
  RC_ASSERT(stored.size() == s->result.stored_bytes);
  RC_ASSERT(crypto::Sha256Hex(stored) == s->result.stored_sha256);
  RC_ASSERT(crypto::Sha256Hex(c.payload) == s->result.plaintext_sha256);
  RC_ASSERT(s->result.original_bytes == c.payload.size());
  RC_ASSERT(s->result.master_key_id == s->ring.Primary().id);
  std::string restored;
  RC_ASSERT(!RestoreCode(*s, &restored).has_value());
  RC_ASSERT(restored == c.payload);
}

// Property 14: Backup Encryption
RC_GTEST_PROP(BackupEncryption, AnyFlippedByteFailsRestore, ()) {
  const auto c = *Cases();
  auto s = Store(c);
  auto stored = ReadAll(s->file);
  const auto at = *rc::gen::inRange<std::size_t>(0, stored.size());
  const auto mask = static_cast<char>(*rc::gen::inRange(1, 256));
  stored[at] = static_cast<char>(stored[at] ^ mask);
  WriteAll(s->file, stored);
  RC_ASSERT(RestoreCode(*s) == ErrorCode::kFailedPrecondition);
}

// Property 14: Backup Encryption
RC_GTEST_PROP(BackupEncryption, TruncationAndAppendingAreDetected, ()) {
  const auto c = *Cases();
  auto s = Store(c);
  const auto stored = ReadAll(s->file);
  const auto keep = *rc::gen::inRange<std::size_t>(0, stored.size());
  WriteAll(s->file, stored.substr(0, keep));
  RC_ASSERT(RestoreCode(*s) == ErrorCode::kFailedPrecondition);
  const auto extra = *rc::gen::nonEmpty(rc::gen::arbitrary<std::string>());
  WriteAll(s->file, stored + extra);
  RC_ASSERT(RestoreCode(*s) == ErrorCode::kFailedPrecondition);
}

// Property 14: Backup Encryption
RC_GTEST_PROP(BackupEncryption, WrongMasterKeyIsRefusedNamingTheExpectedKey, ()) {
  const auto c = *Cases();
  auto s = Store(c);
  const auto expected_id = s->ring.Primary().id;
  const auto other = test::RingOf(crypto::GenerateKey("mk"));
  DiscardSink sink;
  try {
    ReadBackup(*s->store, "ins_1/bak_1.dbk", other, sink);
    RC_FAIL("restored with the wrong master key");
  } catch (const Error& e) {
    RC_ASSERT(e.Code() == ErrorCode::kFailedPrecondition);
    RC_ASSERT(std::string(e.what()).find(expected_id) != std::string::npos);
  }
}

TEST(BackupEncryption, CorruptionMessageNamesTheBackupAndTheChunk) {
  Case c{std::string(10000, 'a') + crypto::RandomBytes(10000), "", Compression::kNone, 4096};
  auto s = Store(c);
  auto stored = ReadAll(s->file);
  stored[stored.size() - 30] ^= 0x01;  // inside the last chunk
  WriteAll(s->file, stored);
  try {
    VerifyBackup(*s->store, "ins_1/bak_1.dbk", s->ring);
    FAIL() << "verification passed a corrupt backup";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kFailedPrecondition);
    EXPECT_EQ(std::string(e.what()), "backup ins_1/bak_1.dbk is corrupt: chunk 4 failed authentication");
  }
}

TEST(BackupEncryption, VerifyComparesRecordedChecksums) {
  Case c{"some rows\n", "", Compression::kZstd, 1 << 20};
  auto s = Store(c);
  ExpectedDigests good{s->result.stored_sha256, s->result.plaintext_sha256};
  EXPECT_EQ(VerifyBackup(*s->store, "ins_1/bak_1.dbk", s->ring, good).plaintext_sha256,
            s->result.plaintext_sha256);
  ExpectedDigests bad{std::nullopt, crypto::Sha256Hex("other rows\n")};
  EXPECT_THROW(VerifyBackup(*s->store, "ins_1/bak_1.dbk", s->ring, bad), Error);
}

TEST(BackupEncryption, RotatedMasterKeyStillOpensOlderBackups) {
  Case c{"rows before the rotation", "", Compression::kGzip, 1 << 20};
  auto s = Store(c);
  crypto::KeyRing rotated({crypto::GenerateKey("mk"), s->ring.Primary()});
  StringSink sink;
  ReadBackup(*s->store, "ins_1/bak_1.dbk", rotated, sink);
  EXPECT_EQ(sink.Data(), c.payload);
}

}  // namespace
}  // namespace dbaas::backup

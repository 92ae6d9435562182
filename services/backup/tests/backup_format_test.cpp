#include <gtest/gtest.h>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "pipeline/backup_format.hpp"

namespace dbaas::backup::format {
namespace {

Header Sample() {
  Header h;
  h.compression = Compression::kLz4;
  h.chunk_size = 65536;
  h.master_key_id = "mk-0123abcd";
  h.wrapped_data_key = crypto::RandomBytes(90);
  h.nonce_prefix = "\x01\x02\x03\x04";
  return h;
}

TEST(BackupHeader, RoundTripsFedOneByteAtATime) {
  const auto h = Sample();
  const auto bytes = SerializeHeader(h);
  EXPECT_EQ(bytes.substr(0, 8), "DBAASBK\n");
  HeaderParser parser("b1");
  std::size_t fed = 0;
  while (!parser.Feed(bytes.substr(fed, 1))) {
    ++fed;
    ASSERT_LT(fed, bytes.size());
  }
  EXPECT_EQ(fed + 1, bytes.size());
  EXPECT_EQ(parser.Needed(), 0U);
  EXPECT_EQ(parser.Bytes(), bytes);
  EXPECT_EQ(parser.Result().compression, h.compression);
  EXPECT_EQ(parser.Result().chunk_size, h.chunk_size);
  EXPECT_EQ(parser.Result().master_key_id, h.master_key_id);
  EXPECT_EQ(parser.Result().wrapped_data_key, h.wrapped_data_key);
  EXPECT_EQ(parser.Result().nonce_prefix, h.nonce_prefix);
}

TEST(BackupHeader, RefusesOtherFilesAndVersions) {
  HeaderParser not_ours("x");
  try {
    not_ours.Feed("PGDMP\x01\x0e\x00xxxxxxxxxx");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("not a dbaas backup"), std::string::npos);
  }
  auto bytes = SerializeHeader(Sample());
  bytes[8] = 9;
  HeaderParser future("y");
  try {
    future.Feed(bytes);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("format version 9"), std::string::npos) << e.what();
  }
}

TEST(BackupHeader, RefusesAChunkSizeBeyondTheLimit) {
  auto bytes = SerializeHeader(Sample());
  bytes[10] = 0x7f;  // chunk size ~2 GiB
  HeaderParser parser("z");
  EXPECT_THROW(parser.Feed(bytes), Error);
}

TEST(FrameLayout, NonceIsPrefixAndCounterAadBindsHeaderIndexAndFinality) {
  EXPECT_EQ(FrameNonce("abcd", 258), std::string("abcd\0\0\0\0\0\0\x01\x02", 12));
  const std::string hash(32, 'h');
  EXPECT_EQ(FrameAad(hash, 1, true), hash + std::string("\0\0\0\0\0\0\0\x01\x01", 9));
  EXPECT_NE(FrameAad(hash, 1, false), FrameAad(hash, 1, true));
}

TEST(FrameCipher, OpensWhatItSealedOnlyInPlace) {
  const auto key = crypto::RandomBytes(32);
  FrameCipher a(key, std::string(32, 'h'), "pppp");
  std::string frame;
  a.Seal(7, false, "hello", frame);
  ASSERT_EQ(frame.size(), kFrameHeaderSize + 5 + kTagSize);
  const std::string sealed = frame.substr(kFrameHeaderSize);
  std::string out;
  EXPECT_TRUE(a.Open(7, false, sealed, out));
  EXPECT_EQ(out, "hello");
  EXPECT_FALSE(a.Open(8, false, sealed, out));  // moved
  EXPECT_FALSE(a.Open(7, true, sealed, out));   // finality changed
  FrameCipher other_header(key, std::string(32, 'i'), "pppp");
  EXPECT_FALSE(other_header.Open(7, false, sealed, out));
}

}  // namespace
}  // namespace dbaas::backup::format

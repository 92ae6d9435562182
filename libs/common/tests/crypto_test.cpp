#include "dbaas/common/crypto.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace dbaas::crypto {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HmacSha256, Rfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Base64, RoundTripAndRejectsGarbage) {
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Decode("Zm9vYg=="), "foob");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8"), "\xfb\xff");
  EXPECT_THROW(Base64Decode("abc"), Error);
  EXPECT_THROW(Base64Decode("ab!="), Error);
  EXPECT_THROW(Base64UrlDecode("ab+c"), Error);
}

TEST(AesGcm, RoundTripWithAad) {
  const Key key = GenerateKey();
  const std::string sealed = Seal(key, "postgres password", "ins_1");
  EXPECT_EQ(SealedKeyId(sealed), key.id);
  EXPECT_EQ(sealed.find("postgres password"), std::string::npos);
  EXPECT_EQ(Open(key, sealed, "ins_1"), "postgres password");
  EXPECT_EQ(Open(key, Seal(key, ""), ""), "");
}

TEST(AesGcm, DetectsTamperingWrongKeyAndWrongAad) {
  const Key key = GenerateKey();
  const std::string sealed = Seal(key, "secret", "ctx");
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_THROW(Open(key, bad, "ctx"), AuthenticationError) << "byte " << i;
  }
  EXPECT_THROW(Open(key, sealed, "other"), AuthenticationError);
  Key other = GenerateKey();
  other.id = key.id;  // same id, different bytes
  EXPECT_THROW(Open(other, sealed, "ctx"), AuthenticationError);
  EXPECT_THROW(Open(key, sealed.substr(0, sealed.size() - 1), "ctx"), AuthenticationError);
}

TEST(Envelope, OpensAfterMasterKeyRotation) {
  const Key old_master = GenerateKey("mk");
  const std::string envelope = SealEnvelope(KeyRing({old_master}), "data", "row-1");
  const Key new_master = GenerateKey("mk");
  const KeyRing rotated({new_master, old_master});
  EXPECT_EQ(OpenEnvelope(rotated, envelope, "row-1"), "data");
  EXPECT_THROW(OpenEnvelope(KeyRing({new_master}), envelope, "row-1"), AuthenticationError);
  EXPECT_THROW(OpenEnvelope(rotated, envelope, "row-2"), AuthenticationError);
}

TEST(KeyFile, CreatedWithMode0600AndReloadedSame) {
  const auto dir = std::filesystem::temp_directory_path() / ("dbaas-keyfile-" + RandomToken(6));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "master.key").string();
  const KeyRing first = LoadOrCreateKeyFile(path);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  const KeyRing second = LoadOrCreateKeyFile(path);
  EXPECT_EQ(first.Primary().id, second.Primary().id);
  EXPECT_EQ(first.Primary().bytes, second.Primary().bytes);

  ::chmod(path.c_str(), 0644);
  EXPECT_THROW(LoadOrCreateKeyFile(path), Error);
  std::filesystem::remove_all(dir);
}

TEST(KeyFile, RejectsShortKeys) {
  EXPECT_THROW(ParseKeys(Base64Encode("short")), Error);
  EXPECT_THROW(ParseKeys(""), Error);
  const auto ring = ParseKeys(Base64Encode(std::string(32, 'a')) + "," + Base64Encode(std::string(32, 'b')));
  EXPECT_EQ(ring.Keys().size(), 2U);
  EXPECT_NE(ring.Keys()[0].id, ring.Keys()[1].id);
}

}  // namespace
}  // namespace dbaas::crypto

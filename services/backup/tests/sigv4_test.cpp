// SigV4 against the worked examples AWS publishes for S3 ("Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk"), access key
// AKIAIOSFODNN7EXAMPLE, bucket examplebucket, 2013-05-24.

#include <gtest/gtest.h>

#include "dbaas/common/crypto.hpp"
#include "storage/sigv4.hpp"
#include "storage/xml.hpp"

namespace dbaas::backup {
namespace {

constexpr const char* kEmptyHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

sigv4::Credentials ExampleCredentials() {
  return {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3"};
}

std::string SignatureOf(const std::string& authorization) {
  return authorization.substr(authorization.find("Signature=") + 10);
}

TEST(SigV4, GetObjectWithRangeMatchesAwsExample) {
  sigv4::Request r;
  r.method = "GET";
  r.canonical_uri = "/test.txt";
  r.payload_hash = kEmptyHash;
  r.amz_date = "20130524T000000Z";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", kEmptyHash},
               {"x-amz-date", "20130524T000000Z"}};
  EXPECT_EQ(sigv4::Authorization(r, ExampleCredentials()),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, PutObjectMatchesAwsExample) {
  const std::string body = "Welcome to Amazon S3.";
  sigv4::Request r;
  r.method = "PUT";
  r.canonical_uri = "/" + sigv4::UriEncode("test$file.text", false);
  r.payload_hash = crypto::Sha256Hex(body);
  r.amz_date = "20130524T000000Z";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256", r.payload_hash},
               {"x-amz-date", "20130524T000000Z"}};
  EXPECT_EQ(r.canonical_uri, "/test%24file.text");
  EXPECT_EQ(SignatureOf(sigv4::Authorization(r, ExampleCredentials())),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, GetBucketLifecycleMatchesAwsExample) {
  sigv4::Request r;
  r.method = "GET";
  r.canonical_uri = "/";
  r.query = {{"lifecycle", ""}};
  r.payload_hash = kEmptyHash;
  r.amz_date = "20130524T000000Z";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-content-sha256", kEmptyHash},
               {"x-amz-date", "20130524T000000Z"}};
  EXPECT_EQ(SignatureOf(sigv4::Authorization(r, ExampleCredentials())),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4, ListObjectsMatchesAwsExample) {
  sigv4::Request r;
  r.method = "GET";
  r.canonical_uri = "/";
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};
  r.payload_hash = kEmptyHash;
  r.amz_date = "20130524T000000Z";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-content-sha256", kEmptyHash},
               {"x-amz-date", "20130524T000000Z"}};
  EXPECT_EQ(sigv4::CanonicalQuery(r.query), "max-keys=2&prefix=J");
  EXPECT_EQ(SignatureOf(sigv4::Authorization(r, ExampleCredentials())),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, EncodesReservedCharactersButKeepsSlashesInPaths) {
  EXPECT_EQ(sigv4::UriEncode("a b/c+d=e~f", false), "a%20b/c%2Bd%3De~f");
  EXPECT_EQ(sigv4::UriEncode("a/b", true), "a%2Fb");
  EXPECT_EQ(sigv4::CanonicalQuery({{"uploads", ""}}), "uploads=");
}

TEST(SigV4, AmzDateIsUtcBasicFormat) {
  EXPECT_EQ(sigv4::AmzDate(std::chrono::system_clock::from_time_t(1369353600)),
            "20130524T000000Z");
}

TEST(Xml, ReadsElementsAndDecodesEntities) {
  const std::string doc =
      "<ListBucketResult><KeyCount>2</KeyCount><Contents><Key>a&amp;b</Key><Size>3</Size>"
      "</Contents><Contents><Key>c&#x2F;d</Key><Size>4</Size></Contents>"
      "<IsTruncated>false</IsTruncated></ListBucketResult>";
  const auto contents = xml::Elements(doc, "Contents");
  ASSERT_EQ(contents.size(), 2U);
  EXPECT_EQ(xml::Text(contents[0], "Key"), "a&b");
  EXPECT_EQ(xml::Text(contents[1], "Key"), "c/d");
  EXPECT_EQ(xml::Text(doc, "KeyCount"), "2");
  EXPECT_EQ(xml::Text(doc, "Key"), "a&b");  // not confused with KeyCount
  EXPECT_EQ(xml::Text(doc, "Missing"), std::nullopt);
  EXPECT_EQ(xml::Escape("<a&'\">"), "&lt;a&amp;&apos;&quot;&gt;");
}

}  // namespace
}  // namespace dbaas::backup

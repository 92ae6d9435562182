#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "dbaas/common/crypto.hpp"

namespace dbaas::crypto {
namespace {

// Property 14: Backup Encryption Completeness (the primitive: ciphertext hides the plaintext
// and any single flipped byte fails authentication).
RC_GTEST_PROP(AesGcm, RoundTripsAndRejectsAnyFlippedByte,
              (const std::string& plaintext, const std::string& aad)) {
  static const Key key = GenerateKey();
  const std::string sealed = Seal(key, plaintext, aad);
  RC_ASSERT(Open(key, sealed, aad) == plaintext);
  const auto pos = *rc::gen::inRange<std::size_t>(0, sealed.size());
  const auto flip = *rc::gen::inRange<int>(1, 256);
  std::string bad = sealed;
  bad[pos] = static_cast<char>(static_cast<unsigned char>(bad[pos]) ^ flip);
  RC_ASSERT_THROWS_AS(Open(key, bad, aad), AuthenticationError);
}

RC_GTEST_PROP(Envelope, RoundTripsUnderAnyOfTheRingKeys, (const std::string& plaintext)) {
  static const KeyRing ring({GenerateKey("mk"), GenerateKey("mk")});
  RC_ASSERT(OpenEnvelope(ring, SealEnvelope(ring, plaintext)) == plaintext);
}

RC_GTEST_PROP(Base64, RoundTripsAnyBytes, (const std::string& bytes)) {
  RC_ASSERT(Base64Decode(Base64Encode(bytes)) == bytes);
  RC_ASSERT(Base64UrlDecode(Base64UrlEncode(bytes)) == bytes);
}

}  // namespace
}  // namespace dbaas::crypto

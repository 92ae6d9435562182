#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "dbaas/auth/jwks.hpp"
#include "dbaas/auth/jwt.hpp"
#include "test_tokens.hpp"

namespace dbaas::auth {
namespace {

const SigningKey& EcKey() {
  static const SigningKey key = SigningKey::GenerateEs256("prop-ec");
  return key;
}
const SigningKey& RsaKey() {
  static const SigningKey key = SigningKey::GenerateRs256(2048, "prop-rsa");
  return key;
}
const JwkSet& Keys() {
  static const JwkSet keys({EcKey().Public(), RsaKey().Public()});
  return keys;
}

// Any single-bit change anywhere in a signed token is rejected: header, payload and signature
// are all covered by the signature, and only the canonical base64url spelling is accepted.
RC_GTEST_PROP(JwtProperty, AnySingleBitFlipIsRejected, ()) {
  ManualClock clock(test::At(test::kNow));
  VerifierOptions options{{test::kIssuer}, test::kAudience};
  options.clock = &clock;
  const Verifier verifier(options);

  Claims claims = test::ValidClaims();
  claims.sub =
      *rc::gen::map(
           rc::gen::nonEmpty(rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(
               std::vector<std::string>{"a", "Z", "0", " ", "\"", "\\", "\u00e9", "\u65e5", "_"}))),
           [](const std::vector<std::string>& parts) {
             std::string joined;
             for (const auto& part : parts) joined += part;
             return joined;
           })
           .as("sub");
  claims.roles = *rc::gen::container<std::vector<std::string>>(
      rc::gen::elementOf(std::vector<std::string>{"developer", "viewer", "tenant-admin"}));
  const bool rsa = *rc::gen::arbitrary<bool>().as("RS256");
  const std::string token = Sign(rsa ? RsaKey() : EcKey(), claims);
  RC_ASSERT(verifier.Verify(token, test::LookupIn(Keys())).sub == claims.sub);

  const auto position = *rc::gen::inRange<std::size_t>(0, token.size()).as("byte");
  const auto bit = *rc::gen::inRange(0, 8).as("bit");
  std::string flipped = token;
  flipped[position] =
      static_cast<char>(static_cast<unsigned char>(flipped[position]) ^ (1U << bit));
  try {
    verifier.Verify(flipped, test::LookupIn(Keys()));
    RC_FAIL("a token with a flipped bit was accepted");
  } catch (const Error& e) {
    RC_ASSERT(e.Code() == ErrorCode::kUnauthenticated);
  }
}

}  // namespace
}  // namespace dbaas::auth

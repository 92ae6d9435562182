#include "dbaas/http/client_address.hpp"

#include <gtest/gtest.h>

namespace dbaas::http {
namespace {

TEST(PeerIp, StripsThePort) {
  EXPECT_EQ(PeerIp("127.0.0.1:5555"), "127.0.0.1");
  EXPECT_EQ(PeerIp("[::1]:5555"), "::1");
  EXPECT_EQ(PeerIp("::1"), "::1");
  EXPECT_EQ(PeerIp("10.1.2.3"), "10.1.2.3");
}

TEST(IsIpAddress, AcceptsLiteralsOnly) {
  EXPECT_TRUE(IsIpAddress("127.0.0.1"));
  EXPECT_TRUE(IsIpAddress("2001:db8::1"));
  EXPECT_FALSE(IsIpAddress("localhost"));
  EXPECT_FALSE(IsIpAddress("1.2.3.4:80"));
  EXPECT_FALSE(IsIpAddress(""));
  EXPECT_FALSE(IsIpAddress(std::string(100, '1')));
}

TEST(ResolveClientAddress, IgnoresForwardedForFromUntrustedPeers) {
  Headers headers;
  headers.Set("X-Forwarded-For", "203.0.113.9");
  // A client cannot pick its address, so per-address login limits cannot be dodged.
  EXPECT_EQ(ResolveClientAddress("198.51.100.7:4000", headers, {}), "198.51.100.7");
  EXPECT_EQ(ResolveClientAddress("198.51.100.7:4000", headers, {"127.0.0.1"}), "198.51.100.7");
}

TEST(ResolveClientAddress, BelievesTheRightMostEntryFromATrustedProxy) {
  Headers headers;
  // The left entries were written by whoever sent the request to the proxy; only the last one
  // was written by the proxy itself.
  headers.Set("X-Forwarded-For", "10.9.9.9, 203.0.113.9");
  EXPECT_EQ(ResolveClientAddress("127.0.0.1:4000", headers, {"127.0.0.1"}), "203.0.113.9");
  headers.Set("X-Forwarded-For", "not-an-address");
  EXPECT_EQ(ResolveClientAddress("127.0.0.1:4000", headers, {"127.0.0.1"}), "127.0.0.1");
  EXPECT_EQ(ResolveClientAddress("127.0.0.1:4000", Headers{}, {"127.0.0.1"}), "127.0.0.1");
}

}  // namespace
}  // namespace dbaas::http

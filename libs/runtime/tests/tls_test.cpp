#include "dbaas/runtime/tls.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "dbaas/common/error.hpp"
#include "runtime_test_util.hpp"

namespace dbaas::runtime {
namespace {

TEST(CertificateAuthority, IsCreatedOnceWithAPrivateKeyAndSignsServerCertificates) {
  test::StateDir state;
  const auto dir = state.Path() / "ca";
  const auto ca = CertificateAuthority::LoadOrCreate(dir);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "ca.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  const auto again = CertificateAuthority::LoadOrCreate(dir);
  EXPECT_EQ(again.CertPem(), ca.CertPem());

  const auto issued = ca.Issue({"localhost"}, {"127.0.0.1"});
  EXPECT_TRUE(VerifyCertificate(issued.cert_pem, ca.CertPem()));
  const auto other = CertificateAuthority::LoadOrCreate(state.Path() / "other");
  EXPECT_FALSE(VerifyCertificate(issued.cert_pem, other.CertPem()));

  // openssl agrees, and the names clients verify are there.
  std::ofstream(state.Path() / "ca.pem") << ca.CertPem();
  std::ofstream(state.Path() / "server.crt") << issued.cert_pem;
  auto r = dbaas::testing::RunProgram(
      {"openssl", "verify", "-CAfile", (state.Path() / "ca.pem").string(), "-verify_ip",
       "127.0.0.1", "-verify_hostname", "localhost", (state.Path() / "server.crt").string()},
      state.Path());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(CertificateAuthority, RefusesAHalfPresentCa) {
  test::StateDir state;
  const auto dir = state.Path() / "ca";
  CertificateAuthority::LoadOrCreate(dir);
  std::filesystem::remove(dir / "ca.key");
  try {
    CertificateAuthority::LoadOrCreate(dir);
    FAIL() << "loaded a CA without its key";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kFailedPrecondition);
  }
}

}  // namespace
}  // namespace dbaas::runtime

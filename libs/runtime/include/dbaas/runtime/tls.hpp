#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

/// The platform's certificate authority for instance TLS (OpenSSL underneath, ECDSA P-256).
namespace dbaas::runtime {

/// A PEM certificate with its PEM private key.
struct CertificateAndKey {
  std::string cert_pem;
  std::string key_pem;
};

/// The CA that signs every instance's server certificate. Not thread-safe for LoadOrCreate on
/// one directory from two processes at once; Issue is const and thread-safe.
class CertificateAuthority {
 public:
  /// Loads `<dir>/ca.pem` and `<dir>/ca.key`, or generates them (10-year self-signed CA, key
  /// file mode 0600) when both are missing. Throws Error{FAILED_PRECONDITION} when only one
  /// exists or they cannot be parsed, Error{INTERNAL} when writing fails.
  static CertificateAuthority LoadOrCreate(const std::filesystem::path& dir,
                                           const std::string& common_name = "dbaas platform CA");

  const std::string& CertPem() const noexcept { return ca_.cert_pem; }

  /// A server certificate for `dns_names` and `ip_addresses` (subjectAltName; CN = the first
  /// DNS name, else the first IP), serverAuth, valid `days`, with a fresh P-256 key.
  CertificateAndKey Issue(const std::vector<std::string>& dns_names,
                          const std::vector<std::string>& ip_addresses, int days = 825) const;

 private:
  explicit CertificateAuthority(CertificateAndKey ca) : ca_(std::move(ca)) {}
  CertificateAndKey ca_;
};

/// True when `cert_pem` chains to `ca_pem` and is within its validity (for tests and checks).
bool VerifyCertificate(const std::string& cert_pem, const std::string& ca_pem);

}  // namespace dbaas::runtime

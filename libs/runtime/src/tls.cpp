#include "dbaas/runtime/tls.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <memory>
#include <optional>

#include "dbaas/common/error.hpp"
#include "process.hpp"

namespace dbaas::runtime {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Free(p); }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;

[[noreturn]] void Fail(const std::string& what) {
  throw Error(ErrorCode::kInternal, "TLS: " + what + " failed (OpenSSL)");
}

std::string ToString(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string KeyPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    Fail("writing a private key");
  }
  return ToString(bio.get());
}

std::string CertToPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) Fail("writing a certificate");
  return ToString(bio.get());
}

Pkey ParseKey(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

Cert ParseCert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

Pkey NewKey() {
  Pkey key(EVP_EC_gen("P-256"));
  if (!key) Fail("generating a P-256 key");
  return key;
}

void AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  if (ext == nullptr) Fail("building extension " + std::string(OBJ_nid2sn(nid)));
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) Fail("adding an extension");
}

/// A certificate for `key` with subject CN=`cn`, issued by `issuer` (nullptr: self-signed).
Cert NewCert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, int days,
             const std::vector<std::pair<int, std::string>>& extensions) {
  Cert cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) Fail("creating a certificate");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) Fail("random serial");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  if (bn == nullptr || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) == nullptr) {
    BN_free(bn);
    Fail("setting the serial");
  }
  BN_free(bn);
  // Backdated a little: clocks of clients and this host differ.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("dbaas"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1) {
    Fail("setting issuer and key");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, signer, cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) AddExtension(cert.get(), &ctx, nid, value);
  if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) <= 0) {
    Fail("signing a certificate");
  }
  return cert;
}

}  // namespace

CertificateAuthority CertificateAuthority::LoadOrCreate(const std::filesystem::path& dir,
                                                        const std::string& common_name) {
  const auto cert_file = dir / "ca.pem";
  const auto key_file = dir / "ca.key";
  const bool has_cert = std::filesystem::exists(cert_file);
  const bool has_key = std::filesystem::exists(key_file);
  if (has_cert && has_key) {
    CertificateAndKey ca{detail::ReadFile(cert_file), detail::ReadFile(key_file)};
    if (!ParseCert(ca.cert_pem) || !ParseKey(ca.key_pem)) {
      throw Error(ErrorCode::kFailedPrecondition,
                  "the platform CA in " + dir.string() +
                      " cannot be read; restore ca.pem and "
                      "ca.key from a backup (every instance certificate chains to it)");
    }
    return CertificateAuthority(std::move(ca));
  }
  if (has_cert || has_key) {
    throw Error(ErrorCode::kFailedPrecondition,
                "the platform CA in " + dir.string() +
                    " is incomplete (ca.pem and ca.key must "
                    "both exist); restore the missing file from a backup");
  }
  std::filesystem::create_directories(dir);
  ::chmod(dir.c_str(), 0700);
  auto key = NewKey();
  auto cert = NewCert(key.get(), common_name, nullptr, nullptr, 3650,
                      {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                       {NID_key_usage, "critical,keyCertSign,cRLSign"},
                       {NID_subject_key_identifier, "hash"}});
  CertificateAndKey ca{CertToPem(cert.get()), KeyPem(key.get())};
  detail::WriteFile(key_file, ca.key_pem, 0600);
  detail::WriteFile(cert_file, ca.cert_pem, 0644);
  return CertificateAuthority(std::move(ca));
}

CertificateAndKey CertificateAuthority::Issue(const std::vector<std::string>& dns_names,
                                              const std::vector<std::string>& ip_addresses,
                                              int days) const {
  if (dns_names.empty() && ip_addresses.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "TLS: a certificate needs a DNS name or an IP address");
  }
  auto ca_cert = ParseCert(ca_.cert_pem);
  auto ca_key = ParseKey(ca_.key_pem);
  if (!ca_cert || !ca_key) Fail("reading the CA");
  std::string san;
  for (const auto& d : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + d;
  for (const auto& ip : ip_addresses) san += (san.empty() ? "IP:" : ",IP:") + ip;
  auto key = NewKey();
  auto cert = NewCert(key.get(), !dns_names.empty() ? dns_names.front() : ip_addresses.front(),
                      ca_cert.get(), ca_key.get(), days,
                      {{NID_basic_constraints, "critical,CA:FALSE"},
                       {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                       {NID_ext_key_usage, "serverAuth"},
                       {NID_subject_key_identifier, "hash"},
                       {NID_authority_key_identifier, "keyid:always"},
                       {NID_subject_alt_name, san}});
  return {CertToPem(cert.get()), KeyPem(key.get())};
}

bool VerifyCertificate(const std::string& cert_pem, const std::string& ca_pem) {
  auto cert = ParseCert(cert_pem);
  auto ca = ParseCert(ca_pem);
  if (!cert || !ca) return false;
  X509_STORE* store = X509_STORE_new();
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  bool ok = store != nullptr && ctx != nullptr && X509_STORE_add_cert(store, ca.get()) == 1 &&
            X509_STORE_CTX_init(ctx, store, cert.get(), nullptr) == 1 && X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok;
}

}  // namespace dbaas::runtime

#include "ldap/openldap_directory.hpp"

#include <ldap.h>

#include <algorithm>
#include <memory>

#include "dbaas/common/error.hpp"
#include "dbaas/common/log.hpp"
#include "domain/ldap_escape.hpp"

namespace dbaas::access_control {
namespace {

constexpr int kMaxGroups = 1000;

timeval ToTimeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

[[noreturn]] void Unavailable(const std::string& what, int rc) {
  log::Warn("LDAP directory unavailable", {{"step", what}, {"error", ldap_err2string(rc)}});
  throw Error(ErrorCode::kUnavailable,
              "the LDAP directory is unavailable (" + what + ": " + ldap_err2string(rc) + ")", {},
              {"retry later; operators: check DBAAS_LDAP_URL and the directory server"});
}

// Answers that mean "these credentials do not work", not "the directory is broken".
bool IsCredentialProblem(int rc) {
  return rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INVALID_DN_SYNTAX ||
         rc == LDAP_NO_SUCH_OBJECT || rc == LDAP_UNWILLING_TO_PERFORM ||
         rc == LDAP_INAPPROPRIATE_AUTH || rc == LDAP_CONSTRAINT_VIOLATION;
}

struct Unbind {
  void operator()(LDAP* ld) const noexcept { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
using Connection = std::unique_ptr<LDAP, Unbind>;

struct MsgFree {
  void operator()(LDAPMessage* m) const noexcept { ldap_msgfree(m); }
};
using Message = std::unique_ptr<LDAPMessage, MsgFree>;

Connection Connect(const LdapSettings& s) {
  LDAP* raw = nullptr;
  int rc = ldap_initialize(&raw, s.url.c_str());
  if (rc != LDAP_SUCCESS) Unavailable("initialise", rc);
  Connection ld(raw);
  const int version = LDAP_VERSION3;
  ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(ld.get(), LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  const timeval tv = ToTimeval(s.timeout);
  ldap_set_option(ld.get(), LDAP_OPT_NETWORK_TIMEOUT, &tv);
  ldap_set_option(ld.get(), LDAP_OPT_TIMEOUT, &tv);
  if (!s.ca_file.empty()) {
    ldap_set_option(ld.get(), LDAP_OPT_X_TLS_CACERTFILE, s.ca_file.c_str());
    const int demand = LDAP_OPT_X_TLS_DEMAND;
    ldap_set_option(ld.get(), LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
    const int is_server = 0;
    ldap_set_option(ld.get(), LDAP_OPT_X_TLS_NEWCTX, &is_server);
  }
  if (s.start_tls) {
    rc = ldap_start_tls_s(ld.get(), nullptr, nullptr);
    if (rc != LDAP_SUCCESS) Unavailable("StartTLS", rc);
  }
  return ld;
}

// A simple bind with an explicit deadline: the synchronous call has none of its own.
int Bind(LDAP* ld, const std::string& dn, const std::string& password,
         std::chrono::milliseconds timeout) {
  berval cred{};
  cred.bv_len = password.size();
  cred.bv_val = const_cast<char*>(password.data());
  int msgid = 0;
  int rc = ldap_sasl_bind(ld, dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, &msgid);
  if (rc != LDAP_SUCCESS) return rc;
  timeval tv = ToTimeval(timeout);
  LDAPMessage* raw = nullptr;
  const int got = ldap_result(ld, msgid, LDAP_MSG_ALL, &tv, &raw);
  Message result(raw);
  if (got == 0) {
    ldap_abandon_ext(ld, msgid, nullptr, nullptr);
    return LDAP_TIMEOUT;
  }
  if (got < 0) {
    ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &rc);
    return rc == LDAP_SUCCESS ? LDAP_SERVER_DOWN : rc;
  }
  int err = LDAP_OTHER;
  rc = ldap_parse_result(ld, result.get(), &err, nullptr, nullptr, nullptr, nullptr, 0);
  return rc != LDAP_SUCCESS ? rc : err;
}

// Entries of a search, or the error code. Size limits are not errors (partial results).
int Search(LDAP* ld, const std::string& base, int scope, const std::string& filter,
           const char* const* attrs, int size_limit, std::chrono::milliseconds timeout,
           Message& out) {
  timeval tv = ToTimeval(timeout);
  LDAPMessage* raw = nullptr;
  const int rc = ldap_search_ext_s(ld, base.c_str(), scope, filter.c_str(),
                                   const_cast<char**>(attrs), 0, nullptr, nullptr, &tv,
                                   size_limit, &raw);
  out.reset(raw);
  return rc == LDAP_SIZELIMIT_EXCEEDED ? LDAP_SUCCESS : rc;
}

std::vector<std::string> EntryDns(LDAP* ld, LDAPMessage* result) {
  std::vector<std::string> dns;
  for (LDAPMessage* e = ldap_first_entry(ld, result); e != nullptr;
       e = ldap_next_entry(ld, e)) {
    char* dn = ldap_get_dn(ld, e);
    if (dn != nullptr) {
      dns.emplace_back(dn);
      ldap_memfree(dn);
    }
  }
  return dns;
}

std::string FirstValue(LDAP* ld, LDAPMessage* entry, const char* attribute) {
  berval** values = ldap_get_values_len(ld, entry, attribute);
  if (values == nullptr) return {};
  std::string out;
  if (values[0] != nullptr) out.assign(values[0]->bv_val, values[0]->bv_len);
  ldap_value_free_len(values);
  return out;
}

}  // namespace

std::optional<DirectoryUser> OpenLdapDirectory::Authenticate(const std::string& username,
                                                             const std::string& password) {
  const auto& s = settings_;
  // An empty password makes a simple bind "unauthenticated" (RFC 4513 5.1.2), which servers
  // may accept: it must never count as a successful login.
  if (username.empty() || password.empty()) return std::nullopt;
  // Directories ignore leading/trailing spaces when matching names, so " alice" would bind as
  // alice under a second local username; control characters have no place in a login name.
  const auto unusable = [](unsigned char c) { return c < 0x20 || c == 0x7f; };
  if (username.front() == ' ' || username.back() == ' ' ||
      std::any_of(username.begin(), username.end(), unusable)) {
    return std::nullopt;
  }
  auto ld = Connect(s);
  DirectoryUser user;
  if (!s.user_dn_template.empty()) {
    user.dn = FillTemplate(s.user_dn_template, "username", EscapeDnValue(username));
  } else {
    if (!s.bind_dn.empty()) {
      const int rc = Bind(ld.get(), s.bind_dn, s.bind_password, s.timeout);
      if (rc != LDAP_SUCCESS) Unavailable("bind as DBAAS_LDAP_BIND_DN", rc);
    }
    const char* const no_attributes[] = {LDAP_NO_ATTRS, nullptr};
    Message found;
    const int rc = Search(ld.get(), s.user_search_base, LDAP_SCOPE_SUBTREE,
                          FillTemplate(s.user_filter, "username", EscapeFilterValue(username)),
                          no_attributes, 2, s.timeout, found);
    if (rc != LDAP_SUCCESS) Unavailable("user search", rc);
    const auto dns = EntryDns(ld.get(), found.get());
    if (dns.size() != 1) return std::nullopt;  // unknown, or ambiguous: refuse either way
    user.dn = dns.front();
  }
  const int rc = Bind(ld.get(), user.dn, password, s.timeout);
  if (IsCredentialProblem(rc)) return std::nullopt;
  if (rc != LDAP_SUCCESS) Unavailable("bind", rc);

  const char* const name_attributes[] = {"displayName", "cn", nullptr};
  Message entry;
  if (Search(ld.get(), user.dn, LDAP_SCOPE_BASE, "(objectClass=*)", name_attributes, 1,
             s.timeout, entry) == LDAP_SUCCESS) {
    if (LDAPMessage* e = ldap_first_entry(ld.get(), entry.get()); e != nullptr) {
      user.display_name = FirstValue(ld.get(), e, "displayName");
      if (user.display_name.empty()) user.display_name = FirstValue(ld.get(), e, "cn");
    }
  }
  // Groups are read as the service account when there is one (users often may not).
  if (!s.bind_dn.empty()) {
    const int again = Bind(ld.get(), s.bind_dn, s.bind_password, s.timeout);
    if (again != LDAP_SUCCESS) Unavailable("bind as DBAAS_LDAP_BIND_DN", again);
  }
  const char* const no_attributes[] = {LDAP_NO_ATTRS, nullptr};
  Message groups;
  const int search = Search(ld.get(), s.group_search_base, LDAP_SCOPE_SUBTREE,
                            FillTemplate(s.group_filter, "dn", EscapeFilterValue(user.dn)),
                            no_attributes, kMaxGroups, s.timeout, groups);
  if (search != LDAP_SUCCESS && search != LDAP_NO_SUCH_OBJECT) Unavailable("group search", search);
  user.group_dns = EntryDns(ld.get(), groups.get());
  return user;
}

}  // namespace dbaas::access_control

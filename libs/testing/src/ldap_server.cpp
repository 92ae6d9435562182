#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "child_process.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::testing {
namespace {

constexpr const char* kServerPackage = "slapd";
constexpr const char* kToolsPackage = "ldap-utils";
constexpr const char* kBaseDn = "dc=example,dc=org";
constexpr const char* kRootDn = "cn=admin,dc=example,dc=org";
constexpr const char* kRootPassword = "test-directory-manager";
constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr auto kCommandTimeout = std::chrono::seconds(30);
const std::vector<std::string> kServerDirs = {"/usr/sbin", "/usr/bin"};

// An LDAPCONF/LDAPRC from the caller's environment could point the tools elsewhere.
const std::vector<std::string> kClientEnv = {"LDAPCONF", "LDAPRC", "LDAPNOINIT=1"};

void RequirePlainName(const std::string& name, const char* what) {
  const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
  if (!ok) throw std::invalid_argument(std::string("testing: LDAP ") + what +
                                       " must match [A-Za-z0-9._-]+: " + name);
}

std::string Config(const std::filesystem::path& dir) {
  std::string c;
  for (const char* schema : {"core", "cosine", "inetorgperson", "nis"}) {
    c += std::string("include /etc/ldap/schema/") + schema + ".schema\n";
  }
  c += "modulepath /usr/lib/ldap\nmoduleload back_mdb\n";
  c += "pidfile " + (dir / "slapd.pid").string() + "\n";
  c += "database mdb\nmaxsize 16777216\n";
  c += std::string("suffix \"") + kBaseDn + "\"\n";
  c += std::string("rootdn \"") + kRootDn + "\"\n";
  c += std::string("rootpw ") + kRootPassword + "\n";
  c += "directory " + (dir / "data").string() + "\n";
  c += "index objectClass eq\nindex uid,member eq\n";
  // Users may bind and read (the provider searches groups as the user or a service account);
  // nobody but the manager writes.
  c += "access to attrs=userPassword by anonymous auth by * none\n";
  c += "access to * by * read\n";
  return c;
}

std::string BaseLdif() {
  return std::string("dn: ") + kBaseDn +
         "\nobjectClass: dcObject\nobjectClass: organization\no: example\ndc: example\n\n"
         "dn: ou=people," + kBaseDn + "\nobjectClass: organizationalUnit\nou: people\n\n"
         "dn: ou=groups," + kBaseDn + "\nobjectClass: organizationalUnit\nou: groups\n";
}

}  // namespace

struct LdapServer::Impl {
  std::optional<detail::RunAs> user;
  std::string slapd;
  std::string slapadd;
  std::string ldapadd;
  std::string ldapmodify;
  std::string ldapsearch;
  std::filesystem::path dir;
  std::filesystem::path log;
  std::uint16_t port = 0;
  int ldif_counter = 0;
  detail::Child child;

  ~Impl() {
    child.Stop(SIGKILL, std::chrono::milliseconds(0));
    detail::RemoveTree(dir);
  }

  std::string Url() const { return "ldap://127.0.0.1:" + std::to_string(port); }

  // True once an anonymous base search of the root DSE answers.
  bool Answers() const {
    detail::SpawnOptions options;
    options.argv = {ldapsearch, "-x", "-H", Url(), "-s", "base", "-b", "", "-LLL", "-o",
                    "nettimeout=2", "objectClass=*"};
    options.env_overrides = kClientEnv;
    return detail::Run(options, std::chrono::seconds(5)).exit_code == 0;
  }

  void Launch() {
    detail::SpawnOptions options;
    // -d 0 keeps slapd in the foreground (no fork), so the child handle is the server.
    options.argv = {slapd, "-d", "0", "-h", Url() + "/", "-f", (dir / "slapd.conf").string()};
    options.log_file = log;
    options.user = user;
    options.death_signal = SIGKILL;
    options.cwd = dir;
    child.Start(options);
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!child.Running()) {
        throw std::runtime_error("testing: slapd exited during start-up; log " + log.string() +
                                 ":\n" + detail::Tail(log));
      }
      if (detail::TcpAccepts(port) && Answers()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    child.Stop(SIGKILL, std::chrono::milliseconds(0));
    throw std::runtime_error("testing: slapd did not answer within 30 s; log:\n" +
                             detail::Tail(log));
  }

  void Apply(const std::string& ldif, bool add) {
    const auto file = dir / ("change-" + std::to_string(++ldif_counter) + ".ldif");
    std::ofstream(file) << ldif;
    detail::SpawnOptions options;
    options.argv = {add ? ldapadd : ldapmodify, "-x", "-H", Url(), "-D", kRootDn, "-w",
                    kRootPassword, "-f", file.string()};
    options.env_overrides = kClientEnv;
    const auto result = detail::Run(options, kCommandTimeout);
    if (result.exit_code != 0) {
      throw std::runtime_error("testing: " + std::string(add ? "ldapadd" : "ldapmodify") +
                               " failed (exit " + std::to_string(result.exit_code) + "): " +
                               result.err + result.out + "\nLDIF:\n" + ldif);
    }
  }
};

LdapServer::LdapServer() : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.slapd = detail::FindBinary("slapd", kServerDirs, kServerPackage);
  s.slapadd = detail::FindBinary("slapadd", kServerDirs, kServerPackage);
  s.ldapadd = detail::FindBinary("ldapadd", kServerDirs, kToolsPackage);
  s.ldapmodify = detail::FindBinary("ldapmodify", kServerDirs, kToolsPackage);
  s.ldapsearch = detail::FindBinary("ldapsearch", kServerDirs, kToolsPackage);
  s.user = detail::ServerUser();
  s.dir = detail::MakeTempDir("ldap", s.user);
  s.log = s.dir / "slapd.log";
  std::filesystem::create_directory(s.dir / "data");
  std::ofstream(s.dir / "slapd.conf") << Config(s.dir);
  std::ofstream(s.dir / "base.ldif") << BaseLdif();
  if (s.user) {
    for (const auto* name : {"data", "slapd.conf", "base.ldif"}) {
      if (::chown((s.dir / name).c_str(), s.user->uid, s.user->gid) != 0) {
        throw std::runtime_error("testing: cannot hand " + (s.dir / name).string() + " to " +
                                 s.user->name);
      }
    }
  }
  // The base entries are loaded offline, so the server starts with a usable tree.
  detail::SpawnOptions load;
  load.argv = {s.slapadd, "-f", (s.dir / "slapd.conf").string(), "-l",
               (s.dir / "base.ldif").string()};
  load.user = s.user;
  load.cwd = s.dir;
  const auto result = detail::Run(load, kCommandTimeout);
  if (result.exit_code != 0) {
    throw std::runtime_error("testing: slapadd failed (exit " + std::to_string(result.exit_code) +
                             "): " + result.err + result.out);
  }
  detail::LaunchOnFreePort(s.port, s.log, [&s] { s.Launch(); });
}

LdapServer::~LdapServer() = default;

std::uint16_t LdapServer::Port() const noexcept { return impl_->port; }

std::string LdapServer::Url() const { return impl_->Url(); }

std::string LdapServer::BaseDn() { return kBaseDn; }

std::string LdapServer::RootDn() { return kRootDn; }

std::string LdapServer::RootPassword() { return kRootPassword; }

std::string LdapServer::AddUser(const std::string& uid, const std::string& password) {
  RequirePlainName(uid, "uid");
  const std::string dn = "uid=" + uid + ",ou=people," + kBaseDn;
  impl_->Apply("dn: " + dn + "\nobjectClass: inetOrgPerson\nuid: " + uid + "\ncn: " + uid +
                   "\nsn: " + uid + "\nmail: " + uid + "@example.org\nuserPassword: " +
                   password + "\n",
               true);
  return dn;
}

std::string LdapServer::AddGroup(const std::string& cn, const std::vector<std::string>& members) {
  RequirePlainName(cn, "group cn");
  if (members.empty()) throw std::invalid_argument("testing: a groupOfNames needs a member");
  const std::string dn = "cn=" + cn + ",ou=groups," + kBaseDn;
  std::string ldif = "dn: " + dn + "\nobjectClass: groupOfNames\ncn: " + cn + "\n";
  for (const auto& member : members) ldif += "member: " + member + "\n";
  impl_->Apply(ldif, true);
  return dn;
}

void LdapServer::AddMember(const std::string& group_dn, const std::string& member_dn) {
  impl_->Apply("dn: " + group_dn + "\nchangetype: modify\nadd: member\nmember: " + member_dn +
                   "\n",
               false);
}

void LdapServer::RemoveMember(const std::string& group_dn, const std::string& member_dn) {
  impl_->Apply("dn: " + group_dn + "\nchangetype: modify\ndelete: member\nmember: " + member_dn +
                   "\n",
               false);
}

void LdapServer::Apply(const std::string& ldif, bool add) { impl_->Apply(ldif, add); }

void LdapServer::Stop() { impl_->child.Stop(SIGTERM, std::chrono::seconds(10)); }

void LdapServer::Start() {
  if (impl_->child.Running()) return;
  impl_->Launch();
}

}  // namespace dbaas::testing

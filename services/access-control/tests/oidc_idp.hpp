#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "dbaas/common/crypto.hpp"
#include "dbaas/http/client.hpp"
#include "dbaas/testing/programs.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::access_control::test {

/// An external OpenID Connect issuer for tests: tests/oidc_idp.mjs under Node.js, signing with
/// the independent `jose` implementation (installed once into `node_dir`), on a free port.
class OidcIdp {
 public:
  /// `node_dir` holds oidc_idp.mjs (copied there by CMake). Throws std::runtime_error naming
  /// the Debian packages when node/npm are missing, or when the issuer does not come up.
  explicit OidcIdp(const std::filesystem::path& node_dir) {
    testing::InstallNpmPackage(node_dir, "jose@5",
                               std::filesystem::path("node_modules") / "jose" / "package.json",
                               R"({"name":"dbaas-oidc-idp","private":true,"type":"module"})");
    port_ = testing::FreePort();
    log_ = std::filesystem::temp_directory_path() /
           ("dbaas-oidc-idp-" + crypto::RandomToken(6) + ".log");
    process_ = std::make_unique<testing::Process>(
        std::vector<std::string>{"node", (node_dir / "oidc_idp.mjs").string(),
                                 std::to_string(port_)},
        std::vector<std::string>{}, log_);
    if (!testing::WaitForHttp("127.0.0.1", port_, "/jwks.json", 200, std::chrono::seconds(30))) {
      throw std::runtime_error("the test OIDC issuer did not start; see " + log_.string());
    }
  }
  ~OidcIdp() {
    process_.reset();
    std::filesystem::remove(log_);
  }

  /// "http://127.0.0.1:<port>", the issuer's "iss".
  std::string Issuer() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// A token signed by the issuer. `query` sets sub, groups (comma-separated), aud, iss, exp
  /// (seconds from now), alg (RS256/ES256), tenant (claim dbaas_tenant), username, kid.
  std::string Mint(const std::map<std::string, std::string>& query) {
    std::string target = "/token?";
    for (const auto& [k, v] : query) target += k + "=" + v + "&";
    return Get(target);
  }

  /// GET `target` on the issuer: the body of its 200 answer.
  std::string Get(const std::string& target) {
    http::ClientRequest request;
    request.host = "127.0.0.1";
    request.port = port_;
    request.target = target;
    auto response = client_.Send(std::move(request));
    if (response.status != 200) {
      throw std::runtime_error("OIDC issuer " + target + ": " + std::to_string(response.status));
    }
    return response.body;
  }

 private:
  std::uint16_t port_ = 0;
  std::filesystem::path log_;
  std::unique_ptr<testing::Process> process_;
  http::Client client_{http::ClientConfig{}};
};

}  // namespace dbaas::access_control::test

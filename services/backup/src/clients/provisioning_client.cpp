#include "clients/provisioning_client.hpp"

#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"
#include "dbaas/http/client.hpp"

namespace dbaas::backup {
namespace {

using namespace std::chrono_literals;

std::string ErrorMessage(const http::ClientResponse& r) {
  try {
    const auto body = r.Json();
    return body.at("error").at("message").get<std::string>();
  } catch (const std::exception&) {
    return "status " + std::to_string(r.status);
  }
}

}  // namespace

ProvisioningClient::ProvisioningClient(std::string base_url, std::string api_key)
    : base_url_(std::move(base_url)),
      api_key_(std::move(api_key)),
      client_(std::make_unique<http::Client>()) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

ProvisioningClient::~ProvisioningClient() = default;

BackupTarget ProvisioningClient::Resolve(const KnownInstance& instance) {
  if (api_key_.empty()) {
    throw Error(ErrorCode::kFailedPrecondition,
                "the backup service has no service API key (DBAAS_SERVICE_API_KEY)");
  }
  const auto get = [&](const std::string& path) {
    http::ClientRequest req;
    req.method = http::Method::kGet;
    req.url = base_url_ + path;
    req.timeout = 30s;
    req.headers.Set("Authorization", "Bearer " + api_key_);
    http::ClientResponse r;
    try {
      r = client_->Send(std::move(req));
    } catch (const Error& e) {
      throw Error(ErrorCode::kUnavailable,
                  std::string("provisioning cannot be reached: ") + e.what());
    }
    if (r.status == 404) {
      throw Error(ErrorCode::kFailedPrecondition, "instance " + instance.id + " no longer exists");
    }
    if (r.status == 409 || r.status == 412) {
      throw Error(ErrorCode::kFailedPrecondition, ErrorMessage(r));
    }
    if (r.status != 200) {
      throw Error(ErrorCode::kUnavailable, "provisioning answered " + path + " with " +
                                               std::to_string(r.status) + ": " + ErrorMessage(r));
    }
    return r.Json();
  };
  const auto info = get("/v1/instances/" + instance.id);
  if (info.value("status", "") != "running") {
    throw Error(
        ErrorCode::kFailedPrecondition,
        "instance " + instance.id + " is " + info.value("status", "unknown") + ", not running");
  }
  const auto& endpoint = info.at("endpoint");
  if (!endpoint.is_object()) {
    throw Error(ErrorCode::kFailedPrecondition, "instance " + instance.id + " has no endpoint");
  }
  const auto credentials = get("/v1/instances/" + instance.id + "/credentials");
  BackupTarget t;
  t.instance_id = instance.id;
  t.tenant_id = instance.tenant_id;
  t.engine = info.value("engine", instance.engine);
  // The server's own version ("15.8") says more than the catalog's ("15").
  const auto server_version = info.find("server_version");
  t.version = server_version != info.end() && server_version->is_string()
                  ? server_version->get<std::string>()
                  : info.value("version", instance.version);
  t.host = endpoint.at("host").get<std::string>();
  t.port = endpoint.at("port").get<int>();
  t.admin_user = credentials.at("username").get<std::string>();
  t.admin_password = credentials.at("password").get<std::string>();
  t.ca_pem = credentials.value("ca_pem", "");
  return t;
}

}  // namespace dbaas::backup

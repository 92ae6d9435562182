#pragma once

#include <memory>
#include <string>

#include "domain/target_source.hpp"

namespace dbaas::http {
class Client;
}

namespace dbaas::backup {

/// TargetSource over provisioning's REST API: GET {base_url}/v1/instances/{id} for the endpoint
/// and status, GET .../credentials for the administrator credentials and CA, both with
/// `Authorization: Bearer {api_key}` (a platform-admin service key). Thread-safe.
class ProvisioningClient final : public TargetSource {
 public:
  ProvisioningClient(std::string base_url, std::string api_key);
  ~ProvisioningClient() override;

  BackupTarget Resolve(const KnownInstance& instance) override;

 private:
  std::string base_url_;
  std::string api_key_;
  std::unique_ptr<http::Client> client_;
};

}  // namespace dbaas::backup

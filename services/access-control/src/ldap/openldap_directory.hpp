#pragma once

#include "domain/ldap_directory.hpp"
#include "domain/ldap_settings.hpp"

namespace dbaas::access_control {

/// Directory over OpenLDAP's libldap: one connection per authentication (no pooling), bound
/// by LdapSettings::timeout for connecting and for every request. Thread-safe.
class OpenLdapDirectory : public Directory {
 public:
  explicit OpenLdapDirectory(LdapSettings settings) : settings_(std::move(settings)) {}

  std::optional<DirectoryUser> Authenticate(const std::string& username,
                                            const std::string& password) override;

 private:
  LdapSettings settings_;
};

}  // namespace dbaas::access_control

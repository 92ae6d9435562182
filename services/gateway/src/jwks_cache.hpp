#pragma once

#include "dbaas/auth/jwks_cache.hpp"

namespace dbaas::gateway {

/// The gateway's caches of access-control's and the OIDC issuer's keys (shared with services).
using JwksCache = auth::JwksCache;

}  // namespace dbaas::gateway

#pragma once

#include "dbaas/auth/authenticator.hpp"
#include "dbaas/auth/introspection.hpp"

namespace dbaas::gateway {

/// The credential -> identity path moved to libs/auth so every service can verify callers the
/// same way; the gateway keeps its names.
using auth::Authenticator;
using auth::CachedIdentity;
using auth::Credential;
using auth::IdentityCache;
using auth::Introspection;
using auth::kMaxIdentityCacheTtl;
using auth::ParseAuthorization;
using auth::ParseIntrospection;

}  // namespace dbaas::gateway

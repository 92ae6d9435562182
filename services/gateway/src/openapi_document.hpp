#pragma once

#include <string>
#include <string_view>

namespace dbaas::gateway {

/// Where the gateway serves the document, without authentication.
inline constexpr std::string_view kOpenApiPath = "/v1/openapi.json";

/// The OpenAPI 3 document of the public API: services/gateway/openapi/openapi.json, embedded at
/// build time. Built on first use (may throw std::bad_alloc then); thread-safe.
const std::string& OpenApiDocument();

}  // namespace dbaas::gateway

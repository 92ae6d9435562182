#pragma once

#include <optional>
#include <string_view>

#include "dbaas/common/error.hpp"
#include "dbaas/http/headers.hpp"

namespace dbaas::gateway {

/// The NOT_FOUND for a path under an API version other than v1 ("/v2/...", "/v0/..."), with a
/// suggestion naming the /v1 spelling; nullopt for any other path.
std::optional<Error> CheckApiVersion(std::string_view raw_path);

/// The NOT_FOUND for a path the gateway refuses to interpret: empty, "." or ".." segments
/// (which a service could resolve differently than the gateway authorized); nullopt otherwise.
std::optional<Error> CheckPathShape(std::string_view raw_path);

/// Error{UNSUPPORTED_MEDIA_TYPE} when a POST, PUT or PATCH carries a non-empty body whose
/// Content-Type is not application/json or a "+json" type; nullopt otherwise.
std::optional<Error> CheckBodyType(std::string_view method, const http::Headers& headers,
                                   std::size_t body_size);

}  // namespace dbaas::gateway

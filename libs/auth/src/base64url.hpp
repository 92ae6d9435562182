#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dbaas::auth::detail {

/// Decodes unpadded base64url, accepting only the canonical encoding: the alphabet
/// [A-Za-z0-9_-], no padding and zero unused trailing bits. Without the last rule two different
/// strings decode to the same bytes, so a token could be altered without breaking its signature.
std::optional<std::string> DecodeBase64UrlStrict(std::string_view text);

}  // namespace dbaas::auth::detail

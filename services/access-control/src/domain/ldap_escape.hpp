#pragma once

#include <string>
#include <string_view>

namespace dbaas::access_control {

/// Escapes `value` for use as an attribute value inside an LDAP distinguished name
/// (RFC 4514 section 2.4): `, + " \ < > ; =` and NUL are escaped everywhere, a leading space or
/// '#' and a trailing space too. Control characters are hex-escaped. Pure.
std::string EscapeDnValue(std::string_view value);

/// Escapes `value` for use inside an LDAP search filter (RFC 4515 section 3): `* ( ) \` and NUL
/// become \2a \28 \29 \5c \00. Pure.
std::string EscapeFilterValue(std::string_view value);

/// Replaces every `{name}` in `pattern` with `value` (already escaped by the caller).
std::string FillTemplate(std::string_view pattern, std::string_view name, std::string_view value);

}  // namespace dbaas::access_control

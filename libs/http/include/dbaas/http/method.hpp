#pragma once

#include <optional>
#include <string_view>

namespace dbaas::http {

/// The HTTP methods the API uses.
enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions };

/// The upper-case token, e.g. "GET".
std::string_view MethodName(Method method) noexcept;
/// The method for an upper-case token; nullopt for anything else (including "TRACE").
std::optional<Method> ParseMethod(std::string_view name) noexcept;
/// True for methods that may be retried without changing the outcome (GET, HEAD, PUT, DELETE,
/// OPTIONS).
bool IsIdempotent(Method method) noexcept;

}  // namespace dbaas::http

#include "dbaas/http/method.hpp"

#include <array>
#include <utility>

namespace dbaas::http {
namespace {

constexpr std::array<std::pair<Method, std::string_view>, 7> kMethods{{
    {Method::kGet, "GET"},
    {Method::kHead, "HEAD"},
    {Method::kPost, "POST"},
    {Method::kPut, "PUT"},
    {Method::kPatch, "PATCH"},
    {Method::kDelete, "DELETE"},
    {Method::kOptions, "OPTIONS"},
}};

}  // namespace

std::string_view MethodName(Method method) noexcept {
  for (const auto& [m, name] : kMethods) {
    if (m == method) return name;
  }
  return "GET";
}

std::optional<Method> ParseMethod(std::string_view name) noexcept {
  for (const auto& [m, n] : kMethods) {
    if (n == name) return m;
  }
  return std::nullopt;
}

bool IsIdempotent(Method method) noexcept {
  return method != Method::kPost && method != Method::kPatch;
}

}  // namespace dbaas::http

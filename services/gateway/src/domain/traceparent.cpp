#include "domain/traceparent.hpp"

#include "dbaas/common/crypto.hpp"

namespace dbaas::gateway {
namespace {

bool IsLowerHex(std::string_view text) noexcept {
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(std::string_view text) noexcept {
  return text.find_first_not_of('0') == std::string_view::npos;
}

// A random lower-case hex id of `bytes` bytes that is not all zeros.
std::string RandomHexId(std::size_t bytes) {
  while (true) {
    auto id = crypto::HexEncode(crypto::RandomBytes(bytes));
    if (!AllZero(id)) return id;
  }
}

}  // namespace

bool IsValidTraceparent(std::string_view value) noexcept {
  if (value.size() < 55) return false;
  const auto version = value.substr(0, 2);
  const auto trace_id = value.substr(3, 32);
  const auto parent_id = value.substr(36, 16);
  const auto flags = value.substr(53, 2);
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return false;
  if (!IsLowerHex(version) || !IsLowerHex(trace_id) || !IsLowerHex(parent_id) ||
      !IsLowerHex(flags)) {
    return false;
  }
  if (version == "ff" || AllZero(trace_id) || AllZero(parent_id)) return false;
  if (version == "00") return value.size() == 55;
  return value.size() == 55 || value[55] == '-';
}

std::string NextTraceparent(const std::optional<std::string>& incoming) {
  if (incoming && IsValidTraceparent(*incoming)) {
    return "00-" + incoming->substr(3, 32) + "-" + RandomHexId(8) + "-" + incoming->substr(53, 2);
  }
  return "00-" + RandomHexId(16) + "-" + RandomHexId(8) + "-00";
}

}  // namespace dbaas::gateway

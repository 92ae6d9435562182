#include "domain/traceparent.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

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

// Trace and span ids must be unique, not secret: a per-thread xoshiro256** seeded from the OS
// CSPRNG replaces an OpenSSL RAND_bytes call per request.
std::uint64_t NextRandom() {
  struct Rng {
    std::uint64_t s[4];
    Rng() {
      const auto seed = crypto::RandomBytes(sizeof(s));
      std::memcpy(s, seed.data(), sizeof(s));
      if ((s[0] | s[1] | s[2] | s[3]) == 0) s[0] = 1;
    }
    std::uint64_t Next() {
      const std::uint64_t result = std::rotl(s[1] * 5, 7) * 9;
      const std::uint64_t t = s[1] << 17;
      s[2] ^= s[0];
      s[3] ^= s[1];
      s[1] ^= s[2];
      s[0] ^= s[3];
      s[2] ^= t;
      s[3] = std::rotl(s[3], 45);
      return result;
    }
  };
  thread_local Rng rng;
  return rng.Next();
}

// A random lower-case hex id of `bytes` bytes (8 or 16) that is not all zeros.
std::string RandomHexId(std::size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(bytes * 2, '0');
  while (AllZero(id)) {
    for (std::size_t word = 0; word * 8 < bytes; ++word) {
      std::uint64_t v = NextRandom();
      for (std::size_t i = 0; i < 16 && word * 16 + i < id.size(); ++i) {
        id[word * 16 + i] = kHex[v & 0xF];
        v >>= 4;
      }
    }
  }
  return id;
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

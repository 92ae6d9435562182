#include "dbaas/common/id.hpp"

#include <array>
#include <chrono>
#include <cstdint>

#include "dbaas/common/crypto.hpp"

namespace dbaas {
namespace {

constexpr std::string_view kAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";
constexpr std::size_t kBodyLength = 26;

bool IsBase32(char c) noexcept { return kAlphabet.find(c) != std::string_view::npos; }

}  // namespace

std::string GenerateId(std::string_view prefix) {
  const auto millis = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  std::array<std::uint8_t, 16> bytes{};
  for (int i = 0; i < 6; ++i) {
    bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(millis >> (8 * (5 - i)));
  }
  const std::string random = crypto::RandomBytes(10);
  for (std::size_t i = 0; i < 10; ++i) bytes[6 + i] = static_cast<std::uint8_t>(random[i]);

  // 128 bits -> 26 base32 characters (the first carries only 3 bits), like a ULID.
  std::string out(prefix);
  out += '_';
  // Character i takes bits [128 - 5*(26-i), 128 - 5*(25-i)) of the big-endian 128-bit value.
  std::array<char, kBodyLength> body{};
  for (std::size_t i = 0; i < kBodyLength; ++i) {
    const int end_bit = 130 - static_cast<int>(5 * (kBodyLength - 1 - i));  // exclusive, +2 pad
    unsigned v = 0;
    for (int b = end_bit - 5; b < end_bit; ++b) {
      const int bit = b - 2;  // the value is left-padded with 2 zero bits to 130
      unsigned set = 0;
      if (bit >= 0) set = (bytes[static_cast<std::size_t>(bit / 8)] >> (7 - bit % 8)) & 1U;
      v = (v << 1) | set;
    }
    body[i] = kAlphabet[v];
  }
  out.append(body.data(), body.size());
  return out;
}

bool IsValidId(std::string_view prefix, std::string_view text) noexcept {
  if (text.size() != prefix.size() + 1 + kBodyLength) return false;
  if (text.substr(0, prefix.size()) != prefix || text[prefix.size()] != '_') return false;
  const auto body = text.substr(prefix.size() + 1);
  if (body[0] > '7') return false;  // only 128 bits
  for (char c : body) {
    if (!IsBase32(c)) return false;
  }
  return true;
}

}  // namespace dbaas

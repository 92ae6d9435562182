#include "domain/user.hpp"

#include <algorithm>

namespace dbaas::access_control {

std::optional<std::string> CheckEmail(std::string_view email) {
  if (email.size() < 3 || email.size() > 254) return "must be 3 to 254 characters long";
  if (std::any_of(email.begin(), email.end(),
                  [](unsigned char c) { return c <= 0x20 || c == 0x7f; })) {
    return "must not contain spaces or control characters";
  }
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 ||
      email.find('@', at + 1) != std::string_view::npos) {
    return "must contain exactly one '@' after a non-empty local part";
  }
  const auto domain = email.substr(at + 1);
  const auto dot = domain.find('.');
  if (dot == std::string_view::npos || dot == 0 || domain.back() == '.') {
    return "must have a domain with a dot, e.g. user@example.com";
  }
  return std::nullopt;
}

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

User ApplyPatch(User user, const UserPatch& patch, TimePoint now) {
  if (patch.display_name) user.display_name = *patch.display_name;
  if (patch.active) user.active = *patch.active;
  user.version += 1;
  user.updated_at = now;
  return user;
}

std::string UserEtag(const User& user) {
  return "\"" + std::to_string(user.version) + "\"";
}

}  // namespace dbaas::access_control

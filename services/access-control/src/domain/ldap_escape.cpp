#include "domain/ldap_escape.hpp"

namespace dbaas::access_control {
namespace {

void AppendHex(std::string& out, unsigned char c) {
  constexpr char kHex[] = "0123456789abcdef";
  out += '\\';
  out += kHex[c >> 4];
  out += kHex[c & 0x0f];
}

}  // namespace

std::string EscapeDnValue(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 8);
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    const bool first = i == 0;
    const bool last = i + 1 == value.size();
    if (c == 0 || c < 0x20 || c == 0x7f) {
      AppendHex(out, c);
    } else if (c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' ||
               c == ';' || c == '=' || (c == ' ' && (first || last)) || (c == '#' && first)) {
      // Hex form for every special: unambiguous and accepted by every server.
      AppendHex(out, c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string EscapeFilterValue(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 8);
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '*' || c == '(' || c == ')' || c == '\\' || c == 0) {
      AppendHex(out, c);
    } else {
      out += ch;
    }
  }
  return out;
}

std::string FillTemplate(std::string_view pattern, std::string_view name, std::string_view value) {
  const std::string placeholder = "{" + std::string(name) + "}";
  std::string out;
  std::size_t from = 0;
  for (auto at = pattern.find(placeholder); at != std::string_view::npos;
       at = pattern.find(placeholder, from)) {
    out.append(pattern.substr(from, at - from));
    out.append(value);
    from = at + placeholder.size();
  }
  out.append(pattern.substr(from));
  return out;
}

}  // namespace dbaas::access_control

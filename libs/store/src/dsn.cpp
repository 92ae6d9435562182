#include "dsn.hpp"

#include <cctype>
#include <optional>

#include "dbaas/store/store.hpp"

namespace dbaas::store {
namespace internal {
namespace {

constexpr std::string_view kRedacted = "***";

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string QuoteConninfoValue(std::string_view value) {
  std::string out = "'";
  for (const char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

std::string RedactUri(std::string_view dsn) {
  std::string out(dsn);
  const auto scheme_end = out.find("://");
  const auto authority_start = scheme_end + 3;
  const auto authority_end = out.find_first_of("/?", authority_start);
  const auto at = out.rfind('@', authority_end == std::string::npos ? out.size() : authority_end);
  if (at != std::string::npos && at >= authority_start) {
    const auto colon = out.find(':', authority_start);
    if (colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, kRedacted);
    }
  }
  const auto query = out.find('?');
  if (query == std::string::npos) return out;
  std::size_t pos = query + 1;
  while (pos < out.size()) {
    auto end = out.find('&', pos);
    if (end == std::string::npos) end = out.size();
    const std::string_view item(out.data() + pos, end - pos);
    if (item.rfind("password=", 0) == 0) {
      const auto value_start = pos + 9;
      out.replace(value_start, end - value_start, kRedacted);
      end = value_start + kRedacted.size();
    }
    pos = end + 1;
  }
  return out;
}

/// Rewrites a key=value conninfo string; nullopt when it does not parse.
std::optional<std::string> RedactKeyValue(std::string_view dsn) {
  std::string out;
  std::size_t i = 0;
  const auto skip_spaces = [&] {
    while (i < dsn.size() && std::isspace(static_cast<unsigned char>(dsn[i]))) out += dsn[i++];
  };
  for (;;) {
    skip_spaces();
    if (i >= dsn.size()) return out;
    const auto key_start = i;
    while (i < dsn.size() && dsn[i] != '=' && !std::isspace(static_cast<unsigned char>(dsn[i]))) {
      ++i;
    }
    const std::string_view key = dsn.substr(key_start, i - key_start);
    out += key;
    skip_spaces();
    if (i >= dsn.size() || dsn[i] != '=') return std::nullopt;
    out += dsn[i++];
    skip_spaces();
    const auto value_start = i;
    if (i < dsn.size() && dsn[i] == '\'') {
      ++i;
      while (i < dsn.size() && dsn[i] != '\'') i += dsn[i] == '\\' ? 2 : 1;
      if (i >= dsn.size()) return std::nullopt;
      ++i;
    } else {
      while (i < dsn.size() && !std::isspace(static_cast<unsigned char>(dsn[i]))) {
        i += dsn[i] == '\\' ? 2 : 1;
      }
      i = std::min(i, dsn.size());
    }
    if (key == "password") {
      out += kRedacted;
    } else {
      out += dsn.substr(value_start, i - value_start);
    }
  }
}

}  // namespace

bool IsUri(std::string_view dsn) {
  return dsn.rfind("postgresql://", 0) == 0 || dsn.rfind("postgres://", 0) == 0;
}

std::string WithParameters(std::string_view dsn,
                           const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out(dsn);
  if (IsUri(dsn)) {
    char sep = out.find('?') == std::string::npos ? '?' : '&';
    for (const auto& [key, value] : params) {
      out += sep;
      out += key + "=" + PercentEncode(value);
      sep = '&';
    }
    return out;
  }
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += ' ';
    out += key + "=" + QuoteConninfoValue(value);
  }
  return out;
}

}  // namespace internal

std::string RedactDsn(std::string_view dsn) {
  if (internal::IsUri(dsn)) return internal::RedactUri(dsn);
  if (auto redacted = internal::RedactKeyValue(dsn)) return *redacted;
  return std::string(internal::kRedacted);
}

}  // namespace dbaas::store

#include "dbaas/engines/uri.hpp"

namespace dbaas::engines {

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  return out;
}

std::string ConnectionUri(Engine engine, const UriParts& parts) {
  std::string out = engine == Engine::kPostgresql ? "postgresql://" : "mysql://";
  if (!parts.user.empty()) {
    out += PercentEncode(parts.user);
    if (!parts.password.empty()) out += ":" + PercentEncode(parts.password);
    out += "@";
  }
  out += parts.host.find(':') != std::string::npos ? "[" + parts.host + "]" : parts.host;
  if (parts.port != 0) out += ":" + std::to_string(parts.port);
  out += "/";
  out += PercentEncode(parts.database);
  if (!parts.ssl_mode.empty()) {
    out += (engine == Engine::kPostgresql ? "?sslmode=" : "?ssl-mode=") + PercentEncode(parts.ssl_mode);
  }
  return out;
}

}  // namespace dbaas::engines

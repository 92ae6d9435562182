#include "storage/sigv4.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "dbaas/common/crypto.hpp"

namespace dbaas::backup::sigv4 {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Header values are trimmed and inner runs of spaces collapse to one.
std::string TrimValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

Pairs SortedHeaders(const Pairs& headers) {
  Pairs sorted;
  for (const auto& [name, value] : headers) sorted.emplace_back(Lower(name), TrimValue(value));
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

std::string SignedHeaders(const Pairs& sorted) {
  std::string out;
  for (const auto& [name, value] : sorted) out += (out.empty() ? "" : ";") + name;
  return out;
}

std::string Scope(const Request& request, const Credentials& c) {
  return request.amz_date.substr(0, 8) + "/" + c.region + "/" + c.service + "/aws4_request";
}

}  // namespace

std::string UriEncode(std::string_view text, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (c == '/' && !encode_slash)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string CanonicalQuery(const Pairs& query) {
  Pairs encoded;
  for (const auto& [name, value] : query) {
    encoded.emplace_back(UriEncode(name, true), UriEncode(value, true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) out += (out.empty() ? "" : "&") + name + "=" + value;
  return out;
}

std::string CanonicalRequest(const Request& request) {
  const auto headers = SortedHeaders(request.headers);
  std::string out = request.method + "\n" + request.canonical_uri + "\n" +
                    CanonicalQuery(request.query) + "\n";
  for (const auto& [name, value] : headers) out += name + ":" + value + "\n";
  out += "\n" + SignedHeaders(headers) + "\n" + request.payload_hash;
  return out;
}

std::string StringToSign(const Request& request, const Credentials& credentials) {
  return "AWS4-HMAC-SHA256\n" + request.amz_date + "\n" + Scope(request, credentials) + "\n" +
         crypto::Sha256Hex(CanonicalRequest(request));
}

std::string SigningKey(const Credentials& c, std::string_view date) {
  auto key = crypto::HmacSha256("AWS4" + c.secret_key, date);
  key = crypto::HmacSha256(key, c.region);
  key = crypto::HmacSha256(key, c.service);
  return crypto::HmacSha256(key, "aws4_request");
}

std::string Authorization(const Request& request, const Credentials& credentials) {
  const auto key = SigningKey(credentials, request.amz_date.substr(0, 8));
  const auto signature =
      crypto::HexEncode(crypto::HmacSha256(key, StringToSign(request, credentials)));
  return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key + "/" +
         Scope(request, credentials) +
         ",SignedHeaders=" + SignedHeaders(SortedHeaders(request.headers)) +
         ",Signature=" + signature;
}

std::string AmzDate(TimePoint t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace dbaas::backup::sigv4

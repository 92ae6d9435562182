#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dbaas/common/clock.hpp"

/// AWS Signature Version 4 for S3 requests (header-based, signed payload hash).
namespace dbaas::backup::sigv4 {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  std::string service = "s3";
};

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  /// The path exactly as sent, already URI-encoded (S3 does not encode it twice).
  std::string canonical_uri;
  /// Query parameters, not encoded.
  Pairs query;
  /// Every header to sign (host, x-amz-date, x-amz-content-sha256 and any others).
  Pairs headers;
  /// Hex SHA-256 of the body (or "UNSIGNED-PAYLOAD").
  std::string payload_hash;
  /// "YYYYMMDDTHHMMSSZ", as in the x-amz-date header.
  std::string amz_date;
};

/// RFC 3986 percent-encoding of everything but unreserved characters (and '/' unless
/// `encode_slash`), upper-case hex, as SigV4 requires.
std::string UriEncode(std::string_view text, bool encode_slash);
/// "a=1&b=2": names and values encoded, sorted by name then value.
std::string CanonicalQuery(const Pairs& query);
std::string CanonicalRequest(const Request& request);
std::string StringToSign(const Request& request, const Credentials& credentials);
/// The derived signing key (raw bytes) for a date "YYYYMMDD".
std::string SigningKey(const Credentials& credentials, std::string_view date);
/// The Authorization header value.
std::string Authorization(const Request& request, const Credentials& credentials);
/// "YYYYMMDDTHHMMSSZ" in UTC.
std::string AmzDate(TimePoint t);

}  // namespace dbaas::backup::sigv4

#include "storage/s3_store.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <thread>
#include <utility>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/http/client.hpp"
#include "storage/sigv4.hpp"
#include "storage/xml.hpp"

namespace dbaas::backup {
namespace {

using http::Method;
using sigv4::Pairs;

std::uint64_t ToU64(std::string_view s) {
  std::uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::chrono::system_clock::time_point ParseHttpDate(const std::string& text) {
  std::tm tm{};
  if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

struct S3Store::Impl {
  explicit Impl(S3StoreConfig c) : config(std::move(c)) {
    const auto scheme_end = config.endpoint.find("://");
    const auto scheme = scheme_end == std::string::npos ? "" : config.endpoint.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https") {
      throw Error(ErrorCode::kInvalidArgument,
                  "S3 endpoint '" + config.endpoint + "' must start with http:// or https://");
    }
    tls = scheme == "https";
    auto rest = config.endpoint.substr(scheme_end + 3);
    while (!rest.empty() && rest.back() == '/') rest.pop_back();
    const auto colon = rest.rfind(':');
    host = colon == std::string::npos ? rest : rest.substr(0, colon);
    port = tls ? 443 : 80;
    if (colon != std::string::npos) {
      const auto digits = rest.substr(colon + 1);
      unsigned value = 0;
      const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (ec != std::errc() || p != digits.data() + digits.size() || value == 0 || value > 65535) {
        throw Error(ErrorCode::kInvalidArgument,
                    "S3 endpoint '" + config.endpoint + "' has an invalid port");
      }
      port = static_cast<std::uint16_t>(value);
    }
    if (host.empty() || host.find('/') != std::string::npos) {
      throw Error(ErrorCode::kInvalidArgument,
                  "S3 endpoint '" + config.endpoint + "' must be scheme://host[:port]");
    }
    if (config.bucket.empty() || config.access_key.empty() || config.secret_key.empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "S3 storage needs a bucket, an access key and a secret key");
    }
    if (config.part_size == 0 || config.part_size > 1024ULL * 1024 * 1024) {
      throw Error(ErrorCode::kInvalidArgument, "S3 part size must be between 1 byte and 1 GiB");
    }
    if (config.max_attempts < 1) config.max_attempts = 1;
    credentials = {config.access_key, config.secret_key, config.region, "s3"};
    http::ClientConfig client_config;
    client_config.request_timeout = config.request_timeout;
    // Retries are ours (they re-sign and cover POSTs and 500s); the breaker must not trip first.
    client_config.max_attempts = 1;
    client_config.breaker.failure_threshold = 1000000;
    client_config.max_response_bytes = config.part_size + 1024 * 1024;
    client_config.user_agent = "dbaas-backup";
    client = std::make_unique<http::Client>(client_config);
  }

  std::string Path(const std::string& key) const {
    return "/" + sigv4::UriEncode(config.bucket, true) +
           (key.empty() ? "" : "/" + sigv4::UriEncode(key, false));
  }

  std::string Where() const { return "s3 " + config.endpoint + "/" + config.bucket; }

  // One signed request, retried with backoff on connection errors and 5xx answers.
  http::ClientResponse Call(Method method, const std::string& key, const Pairs& query,
                            const std::string& body, const Pairs& extra_headers,
                            const std::string& what) {
    const auto path = Path(key);
    const auto query_string = sigv4::CanonicalQuery(query);
    const auto payload_hash = crypto::Sha256Hex(body);
    const auto host_header = host + ":" + std::to_string(port);
    std::string last_problem;
    for (int attempt = 1; attempt <= config.max_attempts; ++attempt) {
      if (attempt > 1) std::this_thread::sleep_for(config.backoff.RandomDelay(attempt - 2));
      sigv4::Request signing;
      signing.method = std::string(http::MethodName(method));
      signing.canonical_uri = path;
      signing.query = query;
      signing.payload_hash = payload_hash;
      signing.amz_date = sigv4::AmzDate(std::chrono::system_clock::now());
      signing.headers = {{"host", host_header},
                         {"x-amz-content-sha256", payload_hash},
                         {"x-amz-date", signing.amz_date}};
      // Range stays unsigned, as AWS's own SDKs do; proxies may rewrite it.
      for (const auto& h : extra_headers) {
        if (h.first != "range") signing.headers.push_back(h);
      }

      http::ClientRequest request;
      request.method = method;
      request.host = host;
      request.port = port;
      request.tls = tls;
      request.target = query_string.empty() ? path : path + "?" + query_string;
      for (const auto& [name, value] : signing.headers) {
        if (name != "host") request.headers.Set(name, value);
      }
      for (const auto& [name, value] : extra_headers) request.headers.Set(name, value);
      request.headers.Set("Authorization", sigv4::Authorization(signing, credentials));
      request.body = body;
      try {
        auto response = client->Send(std::move(request));
        if (response.status < 500) return response;
        last_problem = "HTTP " + std::to_string(response.status) + " " +
                       xml::Text(response.body, "Code").value_or("");
      } catch (const Error& e) {
        if (e.Code() != ErrorCode::kUnavailable && e.Code() != ErrorCode::kDeadlineExceeded) throw;
        last_problem = e.what();
      }
    }
    throw Error(ErrorCode::kUnavailable,
                Where() + ": " + what + " failed after " + std::to_string(config.max_attempts) +
                    " attempt(s): " + last_problem,
                {}, {"check that the S3 endpoint is running and reachable"});
  }

  // Turns a non-success answer into an Error with a stable code.
  [[noreturn]] void Fail(const http::ClientResponse& r, const std::string& what) const {
    auto code = xml::Text(r.body, "Code").value_or(r.Header("x-amz-error-code").value_or(""));
    const auto message = xml::Text(r.body, "Message").value_or("");
    const auto detail = Where() + ": " + what + " answered HTTP " + std::to_string(r.status) +
                        (code.empty() ? "" : " " + code) +
                        (message.empty() ? "" : " (" + message + ")");
    if (code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" ||
        code == "AuthorizationHeaderMalformed" || code == "RequestTimeTooSkewed" ||
        r.status == 401) {
      throw Error(ErrorCode::kUnauthenticated,
                  detail + ": the S3 service refused the credentials of access key " +
                      config.access_key,
                  {}, {"check the S3 access key and secret key of the backup storage"});
    }
    if (code == "AccessDenied" || r.status == 403) {
      throw Error(ErrorCode::kPermissionDenied, detail, {},
                  {"grant the access key read and write access to bucket " + config.bucket});
    }
    if (code == "NoSuchBucket") {
      throw Error(ErrorCode::kFailedPrecondition, detail, {},
                  {"create bucket " + config.bucket + " or fix the configured bucket name"});
    }
    if (code == "NoSuchKey" || code == "NoSuchUpload" || r.status == 404) {
      throw Error(ErrorCode::kNotFound, detail);
    }
    if (code == "EntityTooLarge" || code == "QuotaExceeded" || r.status == 507) {
      throw Error(ErrorCode::kResourceExhausted, detail, {},
                  {"free space in the backup bucket or raise its quota"});
    }
    throw Error(ErrorCode::kFailedPrecondition, detail);
  }

  http::ClientResponse Expect(http::ClientResponse r, std::initializer_list<int> ok,
                              const std::string& what) const {
    if (std::find(ok.begin(), ok.end(), r.status) == ok.end()) Fail(r, what);
    // CompleteMultipartUpload can answer 200 with an error document.
    if (r.body.find("<Error>") != std::string::npos) Fail(r, what);
    return r;
  }

  S3StoreConfig config;
  sigv4::Credentials credentials;
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;
  std::unique_ptr<http::Client> client;
};

namespace {

class S3Writer final : public ObjectWriter {
 public:
  S3Writer(S3Store::Impl& s3, std::string key) : s3_(s3), key_(std::move(key)) {
    buffer_.reserve(s3_.config.part_size);
  }
  ~S3Writer() override { Abort(); }

  void Write(std::string_view bytes) override {
    if (done_) throw Error(ErrorCode::kFailedPrecondition, "write after commit or abort");
    Guard([&] {
      while (!bytes.empty()) {
        // A full part is sent only once more bytes arrive, so a small object goes as one PUT.
        if (buffer_.size() == s3_.config.part_size) UploadPart();
        const auto n = std::min(bytes.size(), s3_.config.part_size - buffer_.size());
        buffer_.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        written_ += n;
      }
    });
  }

  void Commit() override {
    if (done_) throw Error(ErrorCode::kFailedPrecondition, "commit after commit or abort");
    Guard([&] {
      if (upload_id_.empty()) {
        s3_.Expect(s3_.Call(Method::kPut, key_, {}, buffer_, {}, "PutObject " + key_), {200},
                   "PutObject " + key_);
      } else {
        if (!buffer_.empty()) UploadPart();
        std::string body = "<CompleteMultipartUpload>";
        for (std::size_t i = 0; i < etags_.size(); ++i) {
          body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
                  xml::Escape(etags_[i]) + "</ETag></Part>";
        }
        body += "</CompleteMultipartUpload>";
        const auto what = "CompleteMultipartUpload " + key_;
        s3_.Expect(s3_.Call(Method::kPost, key_, {{"uploadId", upload_id_}}, body,
                            {{"content-type", "application/xml"}}, what),
                   {200}, what);
      }
    });
    done_ = true;
    std::string().swap(buffer_);
  }

  void Abort() noexcept override {
    if (done_) return;
    done_ = true;
    std::string().swap(buffer_);
    if (upload_id_.empty()) return;
    try {
      const auto what = "AbortMultipartUpload " + key_;
      s3_.Expect(s3_.Call(Method::kDelete, key_, {{"uploadId", upload_id_}}, {}, {}, what),
                 {200, 204}, what);
    } catch (...) {
      // Unreachable storage: the bucket's lifecycle rule for incomplete uploads cleans up.
    }
  }

  std::uint64_t BytesWritten() const noexcept override { return written_; }

 private:
  template <typename F>
  void Guard(F&& f) {
    try {
      f();
    } catch (...) {
      Abort();
      throw;
    }
  }

  void UploadPart() {
    if (upload_id_.empty()) {
      const auto what = "CreateMultipartUpload " + key_;
      const auto r = s3_.Expect(s3_.Call(Method::kPost, key_, {{"uploads", ""}}, {}, {}, what),
                                {200}, what);
      upload_id_ = xml::Text(r.body, "UploadId").value_or("");
      if (upload_id_.empty()) {
        throw Error(ErrorCode::kInternal, s3_.Where() + ": " + what + " returned no UploadId");
      }
    }
    const auto number = std::to_string(etags_.size() + 1);
    const auto what = "UploadPart " + number + " of " + key_;
    const auto r = s3_.Expect(
        s3_.Call(Method::kPut, key_, {{"partNumber", number}, {"uploadId", upload_id_}}, buffer_,
                 {}, what),
        {200}, what);
    auto etag = r.Header("ETag");
    if (!etag) throw Error(ErrorCode::kInternal, s3_.Where() + ": " + what + " returned no ETag");
    etags_.push_back(*etag);
    buffer_.clear();
  }

  S3Store::Impl& s3_;
  std::string key_;
  std::string buffer_;
  std::string upload_id_;
  std::vector<std::string> etags_;
  std::uint64_t written_ = 0;
  bool done_ = false;
};

class S3Reader final : public ObjectReader {
 public:
  S3Reader(S3Store::Impl& s3, std::string key, std::uint64_t size)
      : s3_(s3), key_(std::move(key)), size_(size) {}

  std::size_t Read(char* out, std::size_t size) override {
    if (pos_ == buffer_.size()) {
      if (offset_ >= size_) return 0;
      Fetch();
    }
    const auto n = std::min(size, buffer_.size() - pos_);
    std::copy_n(buffer_.data() + pos_, n, out);
    pos_ += n;
    return n;
  }
  std::uint64_t Size() const noexcept override { return size_; }

 private:
  // Ranged GETs of one part each keep memory bounded whatever the object's size.
  void Fetch() {
    const auto last = std::min<std::uint64_t>(offset_ + s3_.config.part_size, size_) - 1;
    const auto range = "bytes=" + std::to_string(offset_) + "-" + std::to_string(last);
    const auto what = "GetObject " + key_ + " (" + range + ")";
    auto r = s3_.Expect(s3_.Call(Method::kGet, key_, {}, {}, {{"range", range}}, what),
                        {200, 206}, what);
    if (r.status == 200) {
      // The server ignored the range and sent the whole object.
      if (r.body.size() != size_) {
        throw Error(ErrorCode::kUnavailable, s3_.Where() + ": " + key_ + " changed while read");
      }
      r.body = r.body.substr(offset_, last - offset_ + 1);
    }
    if (r.body.size() != last - offset_ + 1) {
      throw Error(ErrorCode::kUnavailable, s3_.Where() + ": " + what + " returned " +
                                               std::to_string(r.body.size()) + " bytes");
    }
    buffer_ = std::move(r.body);
    pos_ = 0;
    offset_ = last + 1;
  }

  S3Store::Impl& s3_;
  std::string key_;
  std::uint64_t size_;
  std::uint64_t offset_ = 0;
  std::string buffer_;
  std::size_t pos_ = 0;
};

}  // namespace

S3Store::S3Store(S3StoreConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
S3Store::~S3Store() = default;

std::unique_ptr<ObjectWriter> S3Store::OpenWriter(const std::string& key) {
  ValidateObjectKey(key);
  return std::make_unique<S3Writer>(*impl_, key);
}

std::unique_ptr<ObjectReader> S3Store::OpenReader(const std::string& key) {
  const auto info = Stat(key);
  if (!info) throw Error(ErrorCode::kNotFound, "backup object " + key + " not found in " + Describe());
  return std::make_unique<S3Reader>(*impl_, key, info->size);
}

std::optional<ObjectInfo> S3Store::Stat(const std::string& key) {
  ValidateObjectKey(key);
  const auto what = "HeadObject " + key;
  const auto r = impl_->Call(Method::kHead, key, {}, {}, {}, what);
  if (r.status == 404) return std::nullopt;
  impl_->Expect(r, {200}, what);
  ObjectInfo info;
  info.key = key;
  info.size = ToU64(r.Header("Content-Length").value_or("0"));
  info.modified = ParseHttpDate(r.Header("Last-Modified").value_or(""));
  return info;
}

void S3Store::Delete(const std::string& key) {
  ValidateObjectKey(key);
  const auto what = "DeleteObject " + key;
  impl_->Expect(impl_->Call(Method::kDelete, key, {}, {}, {}, what), {200, 204, 404}, what);
}

std::vector<ObjectInfo> S3Store::List(const std::string& prefix) {
  ValidateKeyPrefix(prefix);
  std::vector<ObjectInfo> out;
  std::string token;
  for (;;) {
    Pairs query = {{"list-type", "2"},
                   {"max-keys", std::to_string(impl_->config.list_page_size)},
                   {"prefix", prefix}};
    if (!token.empty()) query.emplace_back("continuation-token", token);
    const auto what = "ListObjectsV2 " + prefix;
    const auto r = impl_->Expect(impl_->Call(Method::kGet, "", query, {}, {}, what), {200}, what);
    for (auto contents : xml::Elements(r.body, "Contents")) {
      ObjectInfo info;
      info.key = xml::Text(contents, "Key").value_or("");
      info.size = ToU64(xml::Text(contents, "Size").value_or("0"));
      if (auto t = ParseRfc3339(xml::Text(contents, "LastModified").value_or(""))) {
        info.modified = *t;
      }
      out.push_back(std::move(info));
    }
    if (xml::Text(r.body, "IsTruncated").value_or("false") != "true") break;
    token = xml::Text(r.body, "NextContinuationToken").value_or("");
    if (token.empty()) break;
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return out;
}

StoreCapacity S3Store::Capacity() {
  StoreCapacity capacity;
  for (const auto& object : List("")) capacity.used_bytes += object.size;
  if (impl_->config.quota_bytes) {
    capacity.total_bytes = impl_->config.quota_bytes;
    capacity.free_bytes =
        *impl_->config.quota_bytes > capacity.used_bytes
            ? *impl_->config.quota_bytes - capacity.used_bytes
            : 0;
  }
  return capacity;
}

std::string S3Store::Describe() const { return impl_->Where(); }

}  // namespace dbaas::backup

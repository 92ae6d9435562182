#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "dbaas/http/backoff.hpp"
#include "storage/object_store.hpp"

namespace dbaas::http {
class Client;
}

namespace dbaas::backup {

struct S3StoreConfig {
  /// "http://host:port" or "https://host:port" of an S3-compatible service; requests use
  /// path-style URLs (endpoint/bucket/key).
  std::string endpoint;
  std::string bucket;
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  /// Objects up to this size are sent with one PutObject; larger ones by multipart upload in
  /// parts of this size. Memory per writer and per reader is about one part. AWS requires at
  /// least 5 MiB for every part but the last; S3-compatible test servers accept less.
  std::size_t part_size = 8 * 1024 * 1024;
  /// Attempts per request (5xx answers and connection errors are retried with backoff).
  int max_attempts = 4;
  http::Backoff backoff;
  std::chrono::milliseconds request_timeout{120000};
  /// Keys per ListObjectsV2 page (max-keys); List() follows continuation tokens.
  std::size_t list_page_size = 1000;
  /// When set, Capacity() reports it as the total.
  std::optional<std::uint64_t> quota_bytes;
};

/// Objects in an S3 bucket, signed with AWS Signature Version 4. Thread-safe.
class S3Store final : public ObjectStore {
 public:
  /// Throws Error{INVALID_ARGUMENT} for a malformed endpoint, empty bucket or credentials.
  explicit S3Store(S3StoreConfig config);
  ~S3Store() override;

  std::unique_ptr<ObjectWriter> OpenWriter(const std::string& key) override;
  std::unique_ptr<ObjectReader> OpenReader(const std::string& key) override;
  std::optional<ObjectInfo> Stat(const std::string& key) override;
  void Delete(const std::string& key) override;
  std::vector<ObjectInfo> List(const std::string& prefix) override;
  StoreCapacity Capacity() override;
  std::string Describe() const override;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbaas::backup

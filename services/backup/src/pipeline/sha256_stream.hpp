#pragma once

#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace dbaas::backup {

/// Incremental SHA-256. Not thread-safe.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view bytes);
  /// The digest as 64 lower-case hex characters; call once.
  std::string FinishHex();

 private:
  evp_md_ctx_st* ctx_;
};

}  // namespace dbaas::backup

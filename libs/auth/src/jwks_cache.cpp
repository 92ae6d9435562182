#include "dbaas/auth/jwks_cache.hpp"

#include "dbaas/common/error.hpp"
#include "dbaas/common/log.hpp"

namespace dbaas::auth {

JwksCache::JwksCache(Fetch fetch, std::chrono::milliseconds min_refresh, const Clock& clock,
                     std::string source)
    : fetch_(std::move(fetch)), source_(std::move(source)), min_refresh_(min_refresh), clock_(clock) {}

std::optional<PublicKey> JwksCache::Find(std::string_view kid) {
  {
    std::lock_guard lock(mutex_);
    if (const auto* key = keys_.Find(kid)) return *key;
  }
  // One refresh at a time; lookups of known kids only take mutex_, which is never held while
  // fetching, so a slow key source cannot stall them.
  std::lock_guard refresh(refresh_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (const auto* key = keys_.Find(kid)) return *key;  // a refresh we waited for brought it
    const auto now = clock_.Now();
    if (last_fetch_ && now - *last_fetch_ < min_refresh_) return std::nullopt;
    last_fetch_ = now;
    ++fetches_;
  }
  std::optional<JwkSet> fetched;
  try {
    fetched = JwkSet::Parse(fetch_());
  } catch (const std::exception& e) {
    log::Warn("cannot fetch the JWKS", {{"source", source_}, {"error", e.what()}});
  }
  std::lock_guard lock(mutex_);
  if (!fetched) {
    if (!loaded_) {
      throw Error(ErrorCode::kUnavailable, "cannot verify tokens: signing keys are unavailable", {},
                  {"retry later"});
    }
    return std::nullopt;
  }
  keys_ = std::move(*fetched);
  loaded_ = true;
  if (const auto* key = keys_.Find(kid)) return *key;
  return std::nullopt;
}

std::uint64_t JwksCache::Fetches() const {
  std::lock_guard lock(mutex_);
  return fetches_;
}

}  // namespace dbaas::auth

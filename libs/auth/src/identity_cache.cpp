#include "dbaas/auth/identity_cache.hpp"

#include "dbaas/common/error.hpp"

namespace dbaas::auth {

IdentityCache::IdentityCache(std::chrono::milliseconds ttl, std::size_t max_entries,
                             const Clock& clock)
    : ttl_(ttl), max_entries_(max_entries), clock_(clock) {
  if (ttl <= std::chrono::milliseconds(0) || ttl > kMaxIdentityCacheTtl) {
    throw Error(ErrorCode::kInvalidArgument, "identity cache TTL must be in (0, 30s]");
  }
  if (max_entries == 0) {
    throw Error(ErrorCode::kInvalidArgument, "identity cache needs room for an entry");
  }
}

std::shared_ptr<const CachedIdentity> IdentityCache::Get(std::string_view fingerprint) const {
  const auto now = clock_.Now();
  std::lock_guard lock(mutex_);
  const auto it = slots_.find(std::string(fingerprint));
  if (it == slots_.end() || it->second.expires_at <= now) return nullptr;
  return it->second.value;
}

void IdentityCache::Put(std::string fingerprint, CachedIdentity entry,
                        std::optional<TimePoint> expires_at) {
  const auto now = clock_.Now();
  auto until = now + ttl_;
  if (expires_at && *expires_at < until) until = *expires_at;
  std::lock_guard lock(mutex_);
  if (slots_.size() >= max_entries_ && !slots_.contains(fingerprint)) {
    std::erase_if(slots_, [now](const auto& slot) { return slot.second.expires_at <= now; });
    // Still full: drop an arbitrary entry; it is only a cache.
    if (slots_.size() >= max_entries_) slots_.erase(slots_.begin());
  }
  slots_[std::move(fingerprint)] =
      Slot{std::make_shared<const CachedIdentity>(std::move(entry)), until};
}

std::size_t IdentityCache::Size() const {
  std::lock_guard lock(mutex_);
  return slots_.size();
}

}  // namespace dbaas::auth

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dbaas::gateway {

/// Which service owns which paths. Each entry is a path prefix made of "/"-separated segments,
/// each a literal ("instances") or a parameter ("{id}") matching one non-empty segment. A prefix
/// matches a path whose leading segments it matches; its last literal segment also matches a
/// segment carrying a custom verb ("audit-events" matches "audit-events:verify"). A literal
/// ending in '*' matches any segment that starts with the rest and is longer ("opb_*" matches
/// "opb_01h..."), so operations route to the service whose id prefix they carry. The longest
/// matching prefix wins, then the one with more literal segments, so
/// "/v1/instances/{id}/backups" (backup) beats "/v1/instances" (provisioning).
/// Build at start-up, then share read-only.
class UpstreamTable {
 public:
  struct Entry {
    std::string prefix;
    std::string service;
  };

  /// Throws Error{INVALID_ARGUMENT} for a prefix not starting with '/', with an empty segment,
  /// or an empty service name.
  void Add(std::string prefix, std::string service);
  /// The service owning `raw_path` (percent-encoded, without the query); nullopt when none does.
  std::optional<std::string> ServiceFor(std::string_view raw_path) const;
  /// Every service named in the table, once each, in first-mention order.
  std::vector<std::string> Services() const;
  const std::vector<Entry>& Entries() const noexcept { return entries_; }

 private:
  std::vector<Entry> entries_;
};

/// The platform's table (DESIGN's API sketch): access-control, provisioning, backup,
/// monitoring, scaling, ha, dr, cost and query.
UpstreamTable DefaultUpstreamTable();

/// Splits "/a/b" into {"a", "b"}; "/" gives {}.
std::vector<std::string_view> PathSegments(std::string_view path);

}  // namespace dbaas::gateway

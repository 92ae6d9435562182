#include "domain/audit_log.hpp"

#include "dbaas/common/error.hpp"
#include "domain/access.hpp"

namespace dbaas::access_control {
namespace {

constexpr std::string_view kResource = "audit-events";
constexpr std::size_t kVerifyPage = 2000;
constexpr std::string_view kAllTenants = "*";

// The scope a caller reads with: everything for platform admins, else their tenant.
std::string ScopeOf(const auth::Identity& caller) {
  if (caller.IsPlatformAdmin()) return std::string(kAllTenants);
  if (caller.tenant_id.empty()) throw Error(ErrorCode::kPermissionDenied, "no tenant to read");
  return caller.tenant_id;
}

}  // namespace

AuditPage AuditLog::List(const auth::Identity& caller, AuditQuery query) {
  if (caller.IsPlatformAdmin()) {
    RequireAccess(caller, kResource, "read", "");
  } else {
    const std::string tenant = query.tenant_id.value_or(caller.tenant_id);
    RequireAccess(caller, kResource, "read", tenant);
    query.tenant_id = caller.tenant_id;
  }
  return repository_.List(query, ScopeOf(caller));
}

AuditEntry AuditLog::Get(const auth::Identity& caller, const std::string& id) {
  if (!caller.IsPlatformAdmin()) RequireAccess(caller, kResource, "read", caller.tenant_id);
  auto entry = repository_.Find(id, ScopeOf(caller));
  if (!entry) throw Error(ErrorCode::kNotFound, "audit event " + id + " not found");
  return *entry;
}

ChainReport AuditLog::Verify(const auth::Identity& caller) {
  if (!caller.IsPlatformAdmin()) {
    throw Error(ErrorCode::kPermissionDenied,
                "only platform administrators can verify the audit chain");
  }
  ChainVerifier verifier;
  std::int64_t after = 0;
  for (;;) {
    const auto entries = repository_.Scan(after, kVerifyPage);
    for (const auto& entry : entries) {
      if (verifier.Feed(entry)) break;
    }
    if (verifier.Break() || entries.size() < kVerifyPage) break;
    after = entries.back().seq;
  }
  ChainReport report;
  report.valid = !verifier.Break().has_value();
  report.checked = verifier.Checked();
  report.head_seq = verifier.LastSeq();
  report.head_hash = verifier.LastHash();
  report.first_break = verifier.Break();
  return report;
}

}  // namespace dbaas::access_control

#pragma once

#include <functional>
#include <string>

#include "dbaas/events/audit.hpp"

/// access-control's own audit records (login attempts, lockouts): domain services hand them to
/// an AuditSink, which the app points at the outbox, so they reach the audit log through the
/// same consumer as the gateway's records.
namespace dbaas::access_control {

/// Takes one record; must not throw (a failure is logged by the sink).
using AuditSink = std::function<void(events::AuditRecord)>;

/// The request being served on this thread, so that records made deep inside a domain service
/// carry its request id and user agent without threading them through every call.
struct AuditOrigin {
  std::string request_id;
  std::string user_agent;
};

/// Sets the current thread's AuditOrigin for its lifetime (handlers wrap a call in one).
class ScopedAuditOrigin {
 public:
  explicit ScopedAuditOrigin(AuditOrigin origin);
  ~ScopedAuditOrigin();
  ScopedAuditOrigin(const ScopedAuditOrigin&) = delete;
  ScopedAuditOrigin& operator=(const ScopedAuditOrigin&) = delete;

 private:
  AuditOrigin previous_;
};

/// The current thread's origin; empty fields outside a ScopedAuditOrigin.
const AuditOrigin& CurrentAuditOrigin();

}  // namespace dbaas::access_control

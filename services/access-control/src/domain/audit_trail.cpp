#include "domain/audit_trail.hpp"

#include <utility>

namespace dbaas::access_control {
namespace {

thread_local AuditOrigin current_origin;

}  // namespace

ScopedAuditOrigin::ScopedAuditOrigin(AuditOrigin origin)
    : previous_(std::exchange(current_origin, std::move(origin))) {}

ScopedAuditOrigin::~ScopedAuditOrigin() {
  current_origin = std::move(previous_);
}

const AuditOrigin& CurrentAuditOrigin() {
  return current_origin;
}

}  // namespace dbaas::access_control

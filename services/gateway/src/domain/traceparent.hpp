#pragma once

#include <optional>
#include <string>
#include <string_view>

/// W3C Trace Context `traceparent` handling: "00-<32 hex trace-id>-<16 hex parent-id>-<2 hex
/// flags>", lower-case hex, neither id all zeros.
namespace dbaas::gateway {

/// True for a header the gateway may continue: version 00 exactly as above, or a later version
/// (not "ff") whose first 55 characters have that shape, followed by nothing or by "-".
bool IsValidTraceparent(std::string_view value) noexcept;

/// The traceparent to send upstream: the incoming trace id and flags with a new parent id (the
/// gateway's own span) when `incoming` is valid, else a new trace with the sampled flag unset.
/// Ids come from a per-thread PRNG seeded by the OS CSPRNG; thread-safe.
std::string NextTraceparent(const std::optional<std::string>& incoming);

}  // namespace dbaas::gateway

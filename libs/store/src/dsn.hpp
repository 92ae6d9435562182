#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbaas::store::internal {

/// True for "postgresql://..." and "postgres://..." connection URIs (else key=value form).
bool IsUri(std::string_view dsn);

/// `dsn` with connection parameters added (later settings win in libpq), in the DSN's own form:
/// percent-encoded query parameters for a URI, quoted `key='value'` pairs otherwise.
std::string WithParameters(std::string_view dsn,
                           const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace dbaas::store::internal

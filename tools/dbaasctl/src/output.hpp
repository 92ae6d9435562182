#pragma once

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbaas::ctl {

/// How results are printed: `table` for people, `json` (the API's JSON, pretty) for scripts.
enum class OutputFormat { kTable, kJson };

/// The format for `--output` (or $DBAASCTL_OUTPUT) when given, else table when stdout is a
/// terminal and json when it is not. Throws UsageError for anything but "table" or "json".
OutputFormat ChooseOutputFormat(const std::optional<std::string>& requested, bool stdout_is_tty);

/// Columns aligned with two spaces between them; a header line then one line per row; every
/// line ends with a newline and carries no trailing spaces.
std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows);

/// "key:   value" lines with the values aligned.
std::string FormatFields(const std::vector<std::pair<std::string, std::string>>& fields);

/// A JSON value as one table cell: strings bare, null or missing "-", objects "k=v,k=v".
std::string CellText(const nlohmann::json& value);
/// `object[key]` as a cell ("-" when absent).
std::string Field(const nlohmann::json& object, std::string_view key);

/// "host:port" of an instance's endpoint, "-" when it has none yet.
std::string EndpointText(const nlohmann::json& instance);

std::string InstancesTable(const nlohmann::json& instances);
std::string InstanceFields(const nlohmann::json& instance);
std::string OperationFields(const nlohmann::json& operation);
std::string ParameterGroupsTable(const nlohmann::json& groups);
std::string ParameterGroupFields(const nlohmann::json& group);
std::string TenantsTable(const nlohmann::json& tenants);
std::string TenantFields(const nlohmann::json& tenant);
std::string CredentialsFields(const nlohmann::json& credentials);

/// "1m05s", "12s", "1h02m".
std::string FormatElapsed(std::chrono::seconds elapsed);

/// Parses "90", "90s", "10m", "1h", "1h30m"; throws UsageError naming `option` otherwise or
/// when the result is zero.
std::chrono::seconds ParseDuration(std::string_view text, std::string_view option);

/// One progress line of an operation being followed, e.g.
/// "op_x create: running 40% (starting server) 12s".
std::string ProgressLine(const nlohmann::json& operation, std::chrono::seconds elapsed);

}  // namespace dbaas::ctl

#include "output.hpp"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "exit_code.hpp"

namespace dbaas::ctl {
namespace {

std::string TrimRight(std::string line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

}  // namespace

OutputFormat ChooseOutputFormat(const std::optional<std::string>& requested, bool stdout_is_tty) {
  if (!requested) return stdout_is_tty ? OutputFormat::kTable : OutputFormat::kJson;
  if (*requested == "table") return OutputFormat::kTable;
  if (*requested == "json") return OutputFormat::kJson;
  throw UsageError("--output must be table or json, got '" + *requested + "'");
}

std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(headers.size(), 0);
  for (std::size_t c = 0; c < headers.size(); ++c) widths[c] = headers[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < widths.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      out += cell;
      if (c + 1 < widths.size()) out += std::string(widths[c] - cell.size() + 2, ' ');
    }
    return TrimRight(std::move(out)) + '\n';
  };
  std::string out = line(headers);
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string FormatFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, key.size());
  std::string out;
  for (const auto& [key, value] : fields) {
    std::string line = key;
    line.append(":").append(width - key.size() + 2, ' ').append(value);
    out += TrimRight(std::move(line)) + '\n';
  }
  return out;
}

std::string CellText(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    return s.empty() ? "-" : s;
  }
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_object()) {
    if (value.empty()) return "-";
    std::string out;
    for (const auto& [k, v] : value.items()) {
      if (!out.empty()) out += ',';
      out += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    return out;
  }
  if (value.is_array()) {
    if (value.empty()) return "-";
    std::string out;
    for (const auto& v : value) {
      if (!out.empty()) out += ',';
      out += v.is_string() ? v.get<std::string>() : v.dump();
    }
    return out;
  }
  return value.dump();
}

std::string Field(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return "-";
  auto it = object.find(key);
  return it == object.end() ? "-" : CellText(*it);
}

std::string EndpointText(const nlohmann::json& instance) {
  if (!instance.is_object()) return "-";
  auto it = instance.find("endpoint");
  if (it == instance.end() || !it->is_object()) return "-";
  return Field(*it, "host") + ":" + Field(*it, "port");
}

std::string InstancesTable(const nlohmann::json& instances) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& i : instances) {
    rows.push_back({Field(i, "id"), Field(i, "name"), Field(i, "engine"), Field(i, "version"),
                    Field(i, "size"), Field(i, "storage_gb"), Field(i, "status"), EndpointText(i),
                    Field(i, "tenant_id")});
  }
  return FormatTable(
      {"ID", "NAME", "ENGINE", "VERSION", "SIZE", "STORAGE_GB", "STATUS", "ENDPOINT", "TENANT"},
      rows);
}

// "name (id) v3" of an instance's parameter group, "-" without one.
std::string ParameterGroupRef(const nlohmann::json& i) {
  if (!i.is_object() || !i.contains("parameter_group") || !i["parameter_group"].is_object()) {
    return "-";
  }
  const auto& g = i["parameter_group"];
  return Field(g, "name") + " (" + Field(g, "id") + ") v" + Field(g, "version");
}

std::string ParameterGroupsTable(const nlohmann::json& groups) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& g : groups) {
    rows.push_back({Field(g, "id"), Field(g, "name"), Field(g, "engine"), Field(g, "version"),
                    Field(g, "builtin"), Field(g, "description")});
  }
  return FormatTable({"ID", "NAME", "ENGINE", "VERSION", "BUILTIN", "DESCRIPTION"}, rows);
}

std::string ParameterGroupFields(const nlohmann::json& g) {
  return FormatFields({{"id", Field(g, "id")},
                       {"name", Field(g, "name")},
                       {"tenant_id", Field(g, "tenant_id")},
                       {"engine", Field(g, "engine")},
                       {"description", Field(g, "description")},
                       {"builtin", Field(g, "builtin")},
                       {"version", Field(g, "version")},
                       {"parameters", Field(g, "parameters")},
                       {"created_at", Field(g, "created_at")},
                       {"updated_at", Field(g, "updated_at")}});
}

std::string InstanceFields(const nlohmann::json& i) {
  return FormatFields({{"id", Field(i, "id")},
                       {"name", Field(i, "name")},
                       {"tenant_id", Field(i, "tenant_id")},
                       {"engine", Field(i, "engine")},
                       {"version", Field(i, "version")},
                       {"server_version", Field(i, "server_version")},
                       {"size", Field(i, "size")},
                       {"storage_gb", Field(i, "storage_gb")},
                       {"status", Field(i, "status")},
                       {"status_detail", Field(i, "status_detail")},
                       {"endpoint", EndpointText(i)},
                       {"deletion_protection", Field(i, "deletion_protection")},
                       {"parameters", Field(i, "parameters")},
                       {"parameter_group", ParameterGroupRef(i)},
                       {"effective_parameters", Field(i, "effective_parameters")},
                       {"pending_restart", Field(i, "pending_restart")},
                       {"labels", Field(i, "labels")},
                       {"created_at", Field(i, "created_at")},
                       {"updated_at", Field(i, "updated_at")}});
}

std::string OperationFields(const nlohmann::json& o) {
  std::vector<std::pair<std::string, std::string>> fields{{"id", Field(o, "id")},
                                                          {"type", Field(o, "type")},
                                                          {"target", Field(o, "target")},
                                                          {"status", Field(o, "status")},
                                                          {"progress", Field(o, "progress") + "%"},
                                                          {"step", Field(o, "step")}};
  if (o.is_object() && o.contains("error") && o["error"].is_object()) {
    fields.emplace_back("error", Field(o["error"], "code") + ": " + Field(o["error"], "message"));
  }
  fields.emplace_back("created_at", Field(o, "created_at"));
  fields.emplace_back("updated_at", Field(o, "updated_at"));
  return FormatFields(fields);
}

std::string TenantsTable(const nlohmann::json& tenants) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : tenants) {
    rows.push_back({Field(t, "id"), Field(t, "name"), Field(t, "display_name"), Field(t, "active"),
                    Field(t, "created_at")});
  }
  return FormatTable({"ID", "NAME", "DISPLAY_NAME", "ACTIVE", "CREATED_AT"}, rows);
}

std::string TenantFields(const nlohmann::json& t) {
  return FormatFields({{"id", Field(t, "id")},
                       {"name", Field(t, "name")},
                       {"display_name", Field(t, "display_name")},
                       {"active", Field(t, "active")},
                       {"limits", Field(t, "limits")},
                       {"created_at", Field(t, "created_at")},
                       {"updated_at", Field(t, "updated_at")}});
}

std::string CredentialsFields(const nlohmann::json& c) {
  return FormatFields({{"username", Field(c, "username")},
                       {"password", Field(c, "password")},
                       {"uri", Field(c, "uri")}});
}

std::string FormatElapsed(std::chrono::seconds elapsed) {
  const auto total = elapsed.count();
  const auto h = total / 3600;
  const auto m = (total % 3600) / 60;
  const auto s = total % 60;
  auto two = [](std::int64_t v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  if (h > 0) return std::to_string(h) + "h" + two(m) + "m";
  if (m > 0) return std::to_string(m) + "m" + two(s) + "s";
  return std::to_string(s) + "s";
}

std::chrono::seconds ParseDuration(std::string_view text, std::string_view option) {
  auto fail = [&]() -> std::chrono::seconds {
    throw UsageError("--" + std::string(option) + " wants a duration like 90s, 10m or 1h, got '" +
                     std::string(text) + "'");
  };
  if (text.empty()) return fail();
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t number = 0;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      if (number > 1'000'000'000) return fail();
      ++i;
    }
    if (i == start) return fail();
    std::int64_t unit = 1;
    if (i < text.size()) {
      switch (text[i]) {
        case 's':
          unit = 1;
          break;
        case 'm':
          unit = 60;
          break;
        case 'h':
          unit = 3600;
          break;
        default:
          return fail();
      }
      ++i;
    } else if (start != 0) {
      return fail();  // "1m30" is ambiguous
    }
    total += number * unit;
  }
  if (total <= 0) return fail();
  return std::chrono::seconds(total);
}

std::string ProgressLine(const nlohmann::json& operation, std::chrono::seconds elapsed) {
  std::string line =
      Field(operation, "id") + " " + Field(operation, "type") + ": " + Field(operation, "status");
  if (operation.is_object() && operation.contains("progress") &&
      operation["progress"].is_number()) {
    line += " " + operation["progress"].dump() + "%";
  }
  const std::string step = Field(operation, "step");
  if (step != "-") line += " (" + step + ")";
  return line + " " + FormatElapsed(elapsed);
}

}  // namespace dbaas::ctl

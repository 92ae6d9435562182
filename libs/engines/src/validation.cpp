#include "dbaas/engines/validation.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <regex>

namespace dbaas::engines {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Splits "<optional -><digits><unit>" into the number and the unit text.
bool SplitNumber(std::string_view text, std::int64_t& number, std::string_view& unit) {
  text = Trim(text);
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  std::size_t i = 0;
  std::int64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    const int digit = text[i] - '0';
    if (n > (std::numeric_limits<std::int64_t>::max() - digit) / 10) return false;
    n = n * 10 + digit;
    ++i;
  }
  if (i == 0) return false;
  unit = Trim(text.substr(i));
  number = negative ? -n : n;
  return true;
}

bool MulChecked(std::int64_t a, std::int64_t b, std::int64_t& out) {
  return !__builtin_mul_overflow(a, b, &out);
}

std::string FormatReal(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string FormatNumber(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e18) {
    return std::to_string(static_cast<std::int64_t>(v));
  }
  return FormatReal(v);
}

std::string MemoryText(double bytes) {
  const auto b = static_cast<std::int64_t>(bytes);
  constexpr std::int64_t kKiB = 1024;
  if (b != 0 && b % (kKiB * kKiB * kKiB) == 0) return std::to_string(b / (kKiB * kKiB * kKiB)) + "GB";
  if (b != 0 && b % (kKiB * kKiB) == 0) return std::to_string(b / (kKiB * kKiB)) + "MB";
  if (b != 0 && b % kKiB == 0) return std::to_string(b / kKiB) + "kB";
  return std::to_string(b) + "B";
}

std::string DurationText(std::int64_t ms) {
  if (ms < 0) return std::to_string(ms);
  if (ms == 0) return "0";
  struct Unit {
    std::int64_t ms;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{86400000, "d"}, {3600000, "h"}, {60000, "min"},
                                    {1000, "s"}, {1, "ms"}};
  for (const auto& u : kUnits) {
    if (ms % u.ms == 0) return std::to_string(ms / u.ms) + u.name;
  }
  return std::to_string(ms) + "ms";
}

std::string RangeText(const ParameterSpec& spec) {
  if (spec.type == ParamType::kMemory) return MemoryText(spec.min) + " and " + MemoryText(spec.max);
  if (spec.type == ParamType::kDuration) {
    return DurationText(static_cast<std::int64_t>(spec.min)) + " and " +
           DurationText(static_cast<std::int64_t>(spec.max));
  }
  return FormatNumber(spec.min) + " and " + FormatNumber(spec.max);
}

/// A JSON number or a numeric string as a double; nullopt otherwise.
std::optional<double> NumberOf(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_string()) return std::nullopt;
  const auto text = std::string(Trim(value.get_ref<const std::string&>()));
  static const std::regex re(R"(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)");
  if (!std::regex_match(text, re)) return std::nullopt;
  return std::strtod(text.c_str(), nullptr);
}

bool ValidTimezone(const std::string& tz) {
  static const std::regex re(R"([A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2})");
  if (tz.size() > 64 || !std::regex_match(tz, re)) return false;
  if (tz == "UTC" || tz == "GMT") return true;
  // PostgreSQL on Debian reads the system time zone database; a name absent there is refused.
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path("/usr/share/zoneinfo") / tz, ec);
}

bool ValidMysqlTimeZone(const std::string& tz) {
  if (tz == "SYSTEM") return true;
  static const std::regex re(R"([+-]([0-9]{2}):([0-9]{2}))");
  std::smatch m;
  if (!std::regex_match(tz, m, re)) return false;
  const int hours = std::stoi(m[1].str());
  const int minutes = std::stoi(m[2].str());
  if (minutes > 59) return false;
  const int total = (tz[0] == '-' ? -1 : 1) * (hours * 60 + minutes);
  return total >= -(12 * 60 + 59) && total <= 13 * 60;
}

}  // namespace

std::optional<std::int64_t> ParseMemory(std::string_view text, std::int64_t base_unit) {
  std::int64_t n = 0;
  std::string_view unit;
  if (!SplitNumber(text, n, unit) || n < 0) return std::nullopt;
  const std::string u = Lower(unit);
  std::int64_t factor = 0;
  if (u.empty()) factor = base_unit;
  else if (u == "b") factor = 1;
  else if (u == "k" || u == "kb") factor = 1024;
  else if (u == "m" || u == "mb") factor = 1024LL * 1024;
  else if (u == "g" || u == "gb") factor = 1024LL * 1024 * 1024;
  else if (u == "t" || u == "tb") factor = 1024LL * 1024 * 1024 * 1024;
  else return std::nullopt;
  std::int64_t out = 0;
  if (!MulChecked(n, factor, out)) return std::nullopt;
  return out;
}

std::optional<std::int64_t> ParseDuration(std::string_view text, std::int64_t base_unit) {
  std::int64_t n = 0;
  std::string_view unit;
  if (!SplitNumber(text, n, unit)) return std::nullopt;
  std::int64_t factor = 0;
  if (unit.empty()) factor = base_unit;
  else if (unit == "ms") factor = 1;
  else if (unit == "s") factor = 1000;
  else if (unit == "min") factor = 60000;
  else if (unit == "h") factor = 3600000;
  else if (unit == "d") factor = 86400000;
  else return std::nullopt;
  std::int64_t out = 0;
  if (!MulChecked(n, factor, out)) return std::nullopt;
  return out;
}

std::optional<std::string> ValidateParameterValue(const ParameterSpec& spec,
                                                  const nlohmann::json& value,
                                                  std::string& issue) {
  switch (spec.type) {
    case ParamType::kInt: {
      const auto n = NumberOf(value);
      if (!n || std::floor(*n) != *n) {
        issue = "must be an integer";
        return std::nullopt;
      }
      if (*n < spec.min || *n > spec.max) {
        issue = "must be between " + RangeText(spec);
        return std::nullopt;
      }
      return FormatNumber(*n);
    }
    case ParamType::kReal: {
      const auto n = NumberOf(value);
      if (!n || !std::isfinite(*n)) {
        issue = "must be a number";
        return std::nullopt;
      }
      if (*n < spec.min || *n > spec.max) {
        issue = "must be between " + RangeText(spec);
        return std::nullopt;
      }
      return FormatReal(*n);
    }
    case ParamType::kBool: {
      if (value.is_boolean()) return value.get<bool>() ? "on" : "off";
      if (value.is_string()) {
        const auto s = Lower(Trim(value.get_ref<const std::string&>()));
        if (s == "on" || s == "true" || s == "yes" || s == "1") return "on";
        if (s == "off" || s == "false" || s == "no" || s == "0") return "off";
      }
      issue = "must be true or false";
      return std::nullopt;
    }
    case ParamType::kEnum: {
      std::string s;
      if (value.is_string()) s = Lower(Trim(value.get_ref<const std::string&>()));
      else if (value.is_number_integer()) s = std::to_string(value.get<std::int64_t>());
      for (const auto& a : spec.allowed) {
        if (value.is_string() || value.is_number_integer()) {
          if (Lower(a) == s) return a;
        }
      }
      std::string list;
      for (const auto& a : spec.allowed) list += (list.empty() ? "" : ", ") + a;
      issue = "must be one of " + list;
      return std::nullopt;
    }
    case ParamType::kSet: {
      if (!value.is_string()) {
        issue = "must be a comma-separated string";
        return std::nullopt;
      }
      std::vector<std::string> items;
      std::string_view rest = value.get_ref<const std::string&>();
      while (!Trim(rest).empty()) {
        const auto comma = rest.find(',');
        const auto item = Upper(Trim(rest.substr(0, comma)));
        if (std::find(spec.allowed.begin(), spec.allowed.end(), item) == spec.allowed.end()) {
          issue = "must be a comma-separated list of " + std::to_string(spec.allowed.size()) +
                  " known values; '" + item.substr(0, 64) + "' is not one";
          return std::nullopt;
        }
        if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
      std::string out;
      for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
      return out;
    }
    case ParamType::kString: {
      if (!value.is_string()) {
        issue = "must be a string";
        return std::nullopt;
      }
      const auto s = std::string(Trim(value.get_ref<const std::string&>()));
      if (spec.name == "timezone") {
        if (!ValidTimezone(s)) {
          issue = "must be a time zone name known to the server, e.g. UTC or Europe/Berlin";
          return std::nullopt;
        }
        return s;
      }
      if (spec.name == "time_zone") {
        if (!ValidMysqlTimeZone(s)) {
          issue = "must be SYSTEM or an offset between -12:59 and +13:00, e.g. +02:00";
          return std::nullopt;
        }
        return s;
      }
      issue = "is not settable";
      return std::nullopt;
    }
    case ParamType::kMemory: {
      std::optional<std::int64_t> bytes;
      if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
        std::int64_t b = 0;
        if (MulChecked(value.get<std::int64_t>(), spec.base_unit, b)) bytes = b;
      } else if (value.is_string()) {
        bytes = ParseMemory(value.get_ref<const std::string&>(), spec.base_unit);
      }
      if (!bytes) {
        issue = "must be a size such as 256MB or 1GB (units B, kB, MB, GB, TB)";
        return std::nullopt;
      }
      if (static_cast<double>(*bytes) < spec.min || static_cast<double>(*bytes) > spec.max) {
        issue = "must be between " + RangeText(spec);
        return std::nullopt;
      }
      if (*bytes % spec.base_unit != 0) {
        issue = "must be a multiple of " + MemoryText(static_cast<double>(spec.base_unit));
        return std::nullopt;
      }
      // PostgreSQL counts memory in kB or larger units; MariaDB takes plain bytes.
      return spec.base_unit >= 1024 ? MemoryText(static_cast<double>(*bytes))
                                    : std::to_string(*bytes);
    }
    case ParamType::kDuration: {
      std::optional<std::int64_t> ms;
      if (value.is_number_integer()) {
        std::int64_t m = 0;
        if (MulChecked(value.get<std::int64_t>(), spec.base_unit, m)) ms = m;
      } else if (value.is_string()) {
        ms = ParseDuration(value.get_ref<const std::string&>(), spec.base_unit);
      }
      if (!ms) {
        issue = "must be a duration such as 500ms, 30s, 5min, 1h or 1d";
        return std::nullopt;
      }
      if (static_cast<double>(*ms) < spec.min || static_cast<double>(*ms) > spec.max) {
        issue = "must be between " + RangeText(spec);
        return std::nullopt;
      }
      if (*ms >= 0 && *ms % spec.base_unit != 0) {
        issue = "must be a whole number of " + DurationText(spec.base_unit);
        return std::nullopt;
      }
      return DurationText(*ms);
    }
  }
  issue = "has an unknown type";
  return std::nullopt;
}

ParameterValues ValidateParameters(Engine engine, const nlohmann::json& parameters,
                                   std::vector<FieldViolation>& violations,
                                   std::string_view path) {
  ParameterValues out;
  if (!parameters.is_object()) {
    violations.push_back({std::string(path), "must be a JSON object of parameter names to values"});
    return out;
  }
  const std::string prefix = std::string(path) + (path.empty() ? "" : ".");
  for (const auto& [name, value] : parameters.items()) {
    const std::string field = prefix + name.substr(0, 100);
    const ParameterSpec* spec = FindParameter(engine, name);
    if (spec == nullptr) {
      violations.push_back({field, "is not a parameter " + std::string(EngineName(engine)) +
                                       " instances accept (see GET /v1/engines)"});
      continue;
    }
    std::string issue;
    if (auto v = ValidateParameterValue(*spec, value, issue)) {
      out[name] = *v;
    } else {
      violations.push_back({field, issue});
    }
  }
  if (engine == Engine::kPostgresql && out.count("min_wal_size") && out.count("max_wal_size")) {
    if (*ParseMemory(out["min_wal_size"], 1) > *ParseMemory(out["max_wal_size"], 1)) {
      violations.push_back({prefix + "min_wal_size", "must not exceed max_wal_size"});
    }
  }
  if (engine == Engine::kMysql && out.count("collation_server")) {
    const auto& collation = out["collation_server"];
    const auto charset = out.count("character_set_server") ? out["character_set_server"] : "";
    const bool matches = charset == "binary" ? collation == "binary"
                                             : !charset.empty() && collation.rfind(charset + "_", 0) == 0;
    if (!matches) {
      violations.push_back({prefix + "collation_server",
                            charset.empty()
                                ? "needs character_set_server set to its character set"
                                : "does not belong to character set " + charset});
    }
  }
  return out;
}

std::vector<FieldViolation> ValidateInstance(const std::vector<EngineInfo>& available,
                                             const InstanceRequest& request,
                                             ValidatedInstance* out) {
  std::vector<FieldViolation> v;
  const auto engine = ParseEngine(request.engine);
  const EngineInfo* info = nullptr;
  if (!engine) {
    v.push_back({"engine", "must be one of postgresql, mysql"});
  } else {
    for (const auto& e : available) {
      if (e.engine == *engine) info = &e;
    }
    if (info == nullptr) {
      v.push_back({"engine", "is not available on this runtime"});
    } else if (!request.version.empty() &&
               std::find(info->versions.begin(), info->versions.end(), request.version) ==
                   info->versions.end()) {
      std::string list;
      for (const auto& s : info->versions) list += (list.empty() ? "" : ", ") + s;
      v.push_back({"version", "must be one of " + list + " for " + request.engine});
    }
  }
  const InstanceSize* size = FindSize(request.size);
  if (size == nullptr) {
    std::string list;
    for (const auto& s : InstanceSizes()) list += (list.empty() ? "" : ", ") + s.name;
    v.push_back({"size", "must be one of " + list});
  }
  if (size != nullptr) {
    if (request.storage_gb < size->min_storage_gb || request.storage_gb > size->max_storage_gb) {
      v.push_back({"storage_gb", "must be between " + std::to_string(size->min_storage_gb) +
                                     " and " + std::to_string(size->max_storage_gb) +
                                     " for size " + size->name});
    }
  } else if (request.storage_gb < 1) {
    v.push_back({"storage_gb", "must be at least 1"});
  }
  ParameterValues params;
  if (engine && request.parameters != nullptr && !request.parameters->is_null()) {
    params = ValidateParameters(*engine, *request.parameters, v);
    // The main cache must fit the size's memory, or the server fails to start or swaps.
    const char* cache = *engine == Engine::kPostgresql ? "shared_buffers" : "innodb_buffer_pool_size";
    if (size != nullptr && params.count(cache)) {
      const std::int64_t limit = size->memory_mib * 1024 * 1024 * 8 / 10;
      if (*ParseMemory(params[cache], 1) > limit) {
        v.push_back({std::string("parameters.") + cache,
                     "must be at most " + MemoryText(static_cast<double>(limit)) +
                         " (80% of the memory of size " + size->name + ")"});
      }
    }
  }
  if (out != nullptr && v.empty()) {
    out->engine = *engine;
    out->size = size;
    out->parameters = std::move(params);
  }
  return v;
}

ValidatedInstance ValidateInstanceOrThrow(const std::vector<EngineInfo>& available,
                                          const InstanceRequest& request) {
  ValidatedInstance out;
  auto violations = ValidateInstance(available, request, &out);
  if (!violations.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "instance request is invalid (" + std::to_string(violations.size()) +
                    (violations.size() == 1 ? " problem)" : " problems)"),
                std::move(violations));
  }
  return out;
}

}  // namespace dbaas::engines

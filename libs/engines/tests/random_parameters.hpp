#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>

#include "dbaas/engines/catalog.hpp"

namespace dbaas::engines::test {

/// Picks a number in [lo, hi]; tests pass RapidCheck or a seeded PRNG.
using Pick = std::function<std::int64_t(std::int64_t lo, std::int64_t hi)>;

/// A valid value for `spec`. `cheap` caps memory at 64MB and counts at 100 so a real server
/// started with it fits a test machine.
inline nlohmann::json ValidValue(Engine engine, const ParameterSpec& spec, const Pick& pick, bool cheap) {
  const auto lo = static_cast<std::int64_t>(std::ceil(spec.min));
  auto hi = static_cast<std::int64_t>(std::floor(spec.max));
  switch (spec.type) {
    case ParamType::kInt:
      return pick(lo, cheap ? std::min<std::int64_t>(hi, std::max<std::int64_t>(lo, 100)) : hi);
    case ParamType::kReal:
      return static_cast<double>(pick(lo * 1000, hi * 1000)) / 1000.0;
    case ParamType::kBool: {
      static const nlohmann::json kValues[] = {true, false, "on", "off", "true", "false"};
      return kValues[pick(0, 5)];
    }
    case ParamType::kEnum:
      return spec.allowed[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(spec.allowed.size()) - 1))];
    case ParamType::kSet: {
      std::string out;
      for (const auto& a : spec.allowed) {
        if (pick(0, 3) == 0) out += (out.empty() ? "" : ",") + a;
      }
      return out;
    }
    case ParamType::kString: {
      if (engine == Engine::kPostgresql) {
        static const char* kZones[] = {"UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo",
                                       "Australia/Sydney"};
        return kZones[pick(0, 4)];
      }
      if (pick(0, 3) == 0) return "SYSTEM";
      const auto minutes = pick(-(12 * 60 + 59), 13 * 60);
      const auto a = std::llabs(minutes);
      char buf[48];
      std::snprintf(buf, sizeof buf, "%c%02lld:%02lld", minutes < 0 ? '-' : '+',
                    static_cast<long long>(a / 60), static_cast<long long>(a % 60));
      return buf;
    }
    case ParamType::kMemory: {
      if (cheap) hi = std::min<std::int64_t>(hi, std::max<std::int64_t>(lo, 64LL << 20));
      const std::int64_t units = pick((lo + spec.base_unit - 1) / spec.base_unit, hi / spec.base_unit);
      if (spec.base_unit >= 1024 && pick(0, 1) == 0) {
        return std::to_string(units * spec.base_unit / 1024) + "kB";
      }
      return units;
    }
    case ParamType::kDuration: {
      const std::int64_t units = pick(lo < 0 ? -1 : lo / spec.base_unit, hi / spec.base_unit);
      return units < 0 ? -1 : units;
    }
  }
  return nullptr;
}

/// A random valid parameter object for `engine` (a random subset of the catalogue), with
/// cross-parameter rules respected.
inline nlohmann::json ValidParameters(Engine engine, const Pick& pick, bool cheap) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& spec : Parameters(engine)) {
    if (pick(0, 1) == 0) out[spec.name] = ValidValue(engine, spec, pick, cheap);
  }
  if (out.contains("min_wal_size") && out.contains("max_wal_size")) out["min_wal_size"] = out["max_wal_size"];
  if (out.contains("collation_server")) {
    const auto collation = out["collation_server"].get<std::string>();
    out["character_set_server"] = collation == "binary" ? collation : collation.substr(0, collation.find('_'));
  }
  return out;
}

}  // namespace dbaas::engines::test

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "dbaas/engines/config.hpp"
#include "dbaas/engines/validation.hpp"
#include "random_parameters.hpp"

namespace dbaas::engines {
namespace {

Engine AnyEngine() { return *rc::gen::element(Engine::kPostgresql, Engine::kMysql); }

std::int64_t RcPick(std::int64_t lo, std::int64_t hi) { return *rc::gen::inRange(lo, hi + 1); }

/// A value the rules for `spec` must refuse.
nlohmann::json InvalidValue(const ParameterSpec& spec) {
  switch (spec.type) {
    case ParamType::kInt:
    case ParamType::kReal:
      return *rc::gen::oneOf(
          rc::gen::just(nlohmann::json(spec.max + 1 + *rc::gen::inRange(0, 1000000))),
          rc::gen::just(nlohmann::json(spec.min - 1 - *rc::gen::inRange(0, 1000000))),
          rc::gen::just(nlohmann::json("12 monkeys")), rc::gen::just(nlohmann::json::array()));
    case ParamType::kBool:
      return *rc::gen::element(nlohmann::json("maybe"), nlohmann::json(7), nlohmann::json::object());
    case ParamType::kEnum:
    case ParamType::kSet:
      return *rc::gen::element(nlohmann::json("drop table x"), nlohmann::json("x,,y;"),
                               nlohmann::json(3.5));
    case ParamType::kString:
      return *rc::gen::element(nlohmann::json("Nowhere/Atlantis'"), nlohmann::json("+99:00"),
                               nlohmann::json("a\nb"), nlohmann::json(12));
    case ParamType::kMemory:
      return *rc::gen::element(nlohmann::json(std::to_string(static_cast<std::int64_t>(spec.max) / 1024 + 1 + *rc::gen::inRange(0, 1000)) + "kB"),
                               nlohmann::json("12 parsecs"), nlohmann::json(-1),
                               nlohmann::json("1.5GB"), nlohmann::json("99999999999TB"));
    case ParamType::kDuration:
      return *rc::gen::element(nlohmann::json("5 fortnights"), nlohmann::json(-7),
                               nlohmann::json(static_cast<std::int64_t>(spec.max) + 1),
                               nlohmann::json(true));
  }
  return nullptr;
}

// Property 4: Engine-Specific Validation (random invalid parameters are always rejected, with
// a detail naming the parameter, next to any number of valid ones).
RC_GTEST_PROP(Parameters, InvalidValuesAreAlwaysRejectedByName, ()) {
  const Engine engine = AnyEngine();
  nlohmann::json params = test::ValidParameters(engine, RcPick, false);
  const auto& all = Parameters(engine);
  const auto& spec = *rc::gen::elementOf(all);
  params[spec.name] = InvalidValue(spec);
  const bool unknown = *rc::gen::arbitrary<bool>();
  const std::string unknown_name = "x_" + *rc::gen::container<std::string>(rc::gen::inRange('a', 'z'));
  if (unknown) params[unknown_name] = 1;

  std::vector<FieldViolation> violations;
  const auto values = ValidateParameters(engine, params, violations);
  RC_ASSERT(values.count(spec.name) == 0U);
  const auto names = [&](const std::string& name) {
    return std::any_of(violations.begin(), violations.end(),
                       [&](const FieldViolation& v) { return v.field == "parameters." + name; });
  };
  RC_ASSERT(names(spec.name));
  if (unknown) RC_ASSERT(names(unknown_name));
}

// Property 4: Engine-Specific Validation (random valid parameters pass, and what is rendered
// is itself valid: every rendered value validates again to the same text).
RC_GTEST_PROP(Parameters, ValidValuesRenderToValidConfig, ()) {
  const Engine engine = AnyEngine();
  const nlohmann::json params = test::ValidParameters(engine, RcPick, false);
  std::vector<FieldViolation> violations;
  const auto values = ValidateParameters(engine, params, violations);
  RC_ASSERT(violations.empty());
  RC_ASSERT(values.size() == params.size());
  PlatformSettings platform;
  platform.port = 5432;
  platform.data_dir = "/data";
  const auto text = RenderConfig(engine, *rc::gen::elementOf(InstanceSizes()), values, platform);
  for (const auto& [name, value] : values) {
    const auto* spec = FindParameter(engine, name);
    std::string issue;
    const auto again = ValidateParameterValue(*spec, value, issue);
    RC_ASSERT(again.has_value());
    RC_ASSERT(*again == value);
    const std::string key = spec->config_name.empty() ? name : spec->config_name;
    RC_ASSERT(text.find("\n" + key + " = ") != std::string::npos);
  }
}

}  // namespace
}  // namespace dbaas::engines

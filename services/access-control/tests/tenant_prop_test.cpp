#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>

#include "dbaas/common/error.hpp"
#include "domain/tenant.hpp"
#include "handlers/tenant_handlers.hpp"

namespace dbaas::access_control {
namespace {

rc::Gen<std::string> ValidName() {
  return rc::gen::apply(
      [](char first, const std::string& middle, char last) {
        return std::string(1, first) + middle + std::string(1, last);
      },
      rc::gen::inRange('a', static_cast<char>('z' + 1)),
      rc::gen::container<std::string>(
          *rc::gen::inRange<std::size_t>(1, 62),
          rc::gen::elementOf(std::string("abcdefghijklmnopqrstuvwxyz0123456789-"))),
      rc::gen::elementOf(std::string("abcdefghijklmnopqrstuvwxyz0123456789")));
}

// Every valid tenant name is accepted and round-trips; every name with a character outside
// [a-z0-9-] is rejected with a field violation naming "name".
RC_GTEST_PROP(TenantName, ValidNamesAreAccepted, ()) {
  const auto name = *ValidName();
  RC_ASSERT(!CheckTenantName(name).has_value());
  RC_ASSERT(ParseTenantSpec(nlohmann::json{{"name", name}}).name == name);
}

RC_GTEST_PROP(TenantName, NamesWithForeignCharactersAreRejected, ()) {
  auto name = *ValidName();
  const auto bad = *rc::gen::suchThat(rc::gen::arbitrary<char>(), [](char c) {
    return !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  });
  const auto pos = *rc::gen::inRange<std::size_t>(0, name.size());
  name[pos] = bad;
  RC_ASSERT(CheckTenantName(name).has_value());
  try {
    ParseTenantSpec(nlohmann::json{{"name", name}});
    RC_FAIL("accepted an invalid name");
  } catch (const Error& e) {
    RC_ASSERT(e.Code() == ErrorCode::kInvalidArgument);
    RC_ASSERT(!e.Details().empty());
    RC_ASSERT(e.Details()[0].field == "name");
  }
}

// Property 31: Standardized Error Response Format (the parsing half: any JSON value as a body
// is either a valid spec or INVALID_ARGUMENT with at least one field violation, never another
// exception).
RC_GTEST_PROP(ParseTenantSpec, AnyJsonIsSpecOrInvalidArgument, ()) {
  const auto limits = *rc::gen::arbitrary<std::map<std::string, int>>();
  const auto name = *rc::gen::oneOf(rc::gen::arbitrary<std::string>(), ValidName());
  nlohmann::json body{{"name", name}, {"limits", limits}};
  if (*rc::gen::arbitrary<bool>()) body["display_name"] = *rc::gen::arbitrary<std::string>();
  try {
    const auto spec = ParseTenantSpec(body);
    RC_ASSERT(spec.limits.max_instances >= 0);
  } catch (const Error& e) {
    RC_ASSERT(e.Code() == ErrorCode::kInvalidArgument);
    RC_ASSERT(!e.Details().empty());
  } catch (const nlohmann::json::exception&) {
    RC_FAIL("a JSON exception escaped the parser");
  }
}

}  // namespace
}  // namespace dbaas::access_control

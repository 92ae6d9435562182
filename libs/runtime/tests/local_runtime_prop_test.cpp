#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <iostream>
#include <sstream>

#include "dbaas/common/error.hpp"
#include "runtime_test_util.hpp"

namespace dbaas::runtime {
namespace {

using engines::Engine;

// Runs a property with an explicit number of cases and no shrinking: every case creates real
// database servers, so RapidCheck's default 100 cases would take many minutes.
template <typename Testable>
void CheckProperty(int cases, Testable&& testable) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(info->test_suite_name()) + "/" + info->name();
  metadata.description = info->name();
  auto params = rc::detail::configuration().testParams;
  params.maxSuccess = cases;
  params.disableShrinking = true;
  const auto result = rc::detail::checkTestable(std::forward<Testable>(testable), metadata, params);
  if (!result.template is<rc::detail::SuccessResult>()) {
    std::ostringstream message;
    rc::detail::printResultMessage(result, message);
    FAIL() << message.str();
  }
}

const std::vector<std::string> kSteps = {"port",      "directories", "tls",    "init",
                                         "configure", "start",       "secure", "finish"};

struct InjectedFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Property 6: Failure Cleanup — whichever create step fails (here: an injected failure at a
// random step, for either engine), the error names the step and nothing created so far
// remains: no instance directory, no server process, no listening port, no listed instance.
TEST(LocalRuntimeProperty, FailedCreateAtAnyStepLeavesNothingBehind) {
  test::StateDir state;
  int n = 0;
  CheckProperty(8, [&] {
    const auto engine = *rc::gen::element(Engine::kPostgresql, Engine::kMysql);
    const auto step = *rc::gen::elementOf(kSteps);
    auto config = state.Config();
    std::uint16_t port = 0;
    config.create_hook = [&step](std::string_view at) {
      if (at == step) throw InjectedFailure("injected failure at " + std::string(at));
    };
    LocalRuntime rt(config);
    const std::string id = "p6-" + std::to_string(n++);
    try {
      rt.Create(test::Spec(id, engine));
      RC_FAIL("create succeeded despite a failure at step " + step);
    } catch (const Error& e) {
      const std::string what = e.what();
      RC_ASSERT(what.find("step '" + step + "'") != std::string::npos);
      RC_ASSERT(what.find("injected failure") != std::string::npos);
    }
    // Every port of the range is free again (the one it took, whichever that was).
    for (auto p = config.port_min; p <= config.port_max; ++p) {
      if (test::Listening(p)) port = p;
    }
    const auto left = test::Leftovers(rt.InstanceDir(id), port);
    RC_ASSERT(left.empty());
    RC_ASSERT(rt.List().empty());
    RC_TAG(std::string(engines::EngineName(engine)), step);
  });
}

// Property 7: Complete Deletion — for any engine and any state the instance is in (running,
// stopped, crashed), deleting it leaves no directory (data, logs, certificates), no process and
// no port behind, and the runtime no longer knows it.
TEST(LocalRuntimeProperty, DeleteLeavesNothingBehind) {
  test::StateDir state;
  int n = 0;
  CheckProperty(6, [&] {
    const auto engine = *rc::gen::element(Engine::kPostgresql, Engine::kMysql);
    const auto before =
        *rc::gen::element(std::string("running"), std::string("stopped"), std::string("killed"));
    LocalRuntime rt(state.Config());
    const std::string id = "p7-" + std::to_string(n++);
    const auto created = rt.Create(test::Spec(id, engine));
    if (before == "stopped") rt.Stop(id);
    if (before == "killed") {
      const auto pid = rt.Status(id).pid;
      RC_ASSERT(pid.has_value());
      ::kill(*pid, SIGKILL);
    }
    rt.Delete(id);
    RC_ASSERT(test::Leftovers(rt.InstanceDir(id), created.endpoint.port).empty());
    RC_ASSERT(rt.List().empty());
    // The password no longer opens anything: there is nothing to connect to.
    RC_ASSERT(!test::Listening(created.endpoint.port));
  });
}

}  // namespace
}  // namespace dbaas::runtime

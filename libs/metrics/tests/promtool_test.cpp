#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "dbaas/metrics/registry.hpp"

namespace dbaas::metrics {
namespace {

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) result.output += buf;
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(Promtool, AcceptsTheExpositionWithoutLintProblems) {
  ASSERT_EQ(RunCommand("command -v promtool").exit_code, 0)
      << "promtool is not installed; install the Debian package `prometheus`";

  Registry reg;
  auto& requests = reg.Counter("http_requests_total", "HTTP requests served.",
                               {"route", "method", "status"});
  requests.WithLabels({"/v1/instances/{id}", "GET", "200"}).Inc(12);
  requests.WithLabels({"/v1/\"quoted\"\\path\nnewline", "POST", "500"}).Inc();
  reg.Gauge("http_connections_open", "Open connections.").Get().Set(4);
  auto& latency = reg.Histogram("http_request_duration_seconds", "Request latency.",
                                {"route", "method"});
  latency.WithLabels({"/v1/x", "GET"}).Observe(0.003);
  latency.WithLabels({"/v1/x", "GET"}).Observe(42);
  auto pool = reg.CallbackGauge("store_pool_connections", "Pool connections.", {"state"},
                                {"idle"}, [] { return 2.0; });
  reg.Counter("unused_total", "A labelled family without children.", {"x"});

  const auto path = std::filesystem::temp_directory_path() /
                    ("dbaas_metrics_" + std::to_string(::getpid()) + ".prom");
  {
    std::ofstream file(path);
    file << reg.Expose();
  }
  const auto result = RunCommand("promtool check metrics < " + path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "") << "promtool reported problems:\n" << result.output;
}

}  // namespace
}  // namespace dbaas::metrics

#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

/// Running independent tools (npm packages, CLIs) from tests.
namespace dbaas::testing {

struct ProgramResult {
  /// The exit status, or -1 when the program could not start or died from a signal.
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `args` (args[0] found on PATH, or a path) in `cwd` and waits for it. stdout and stderr
/// are captured through the files <cwd>/run.stdout and <cwd>/run.stderr, kept for diagnosis.
ProgramResult RunProgram(const std::vector<std::string>& args, const std::filesystem::path& cwd);

/// True when an executable named `program` is on PATH.
bool OnPath(const std::string& program);

/// Installs the npm package `spec` (e.g. "jose@5") under `dir` unless `dir`/`installed` exists,
/// once across concurrent test processes (a file lock), quietly. `package_json` is written as
/// dir/package.json when there is none. Throws std::runtime_error naming the Debian packages
/// `nodejs` and `npm` when they are missing, or with npm's error output when the install fails.
void InstallNpmPackage(const std::filesystem::path& dir, const std::string& spec,
                       const std::filesystem::path& installed,
                       std::string_view package_json = R"({"private":true})");

}  // namespace dbaas::testing

#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace dbaas::ctl {

/// Everything dbaasctl does for one command line (without the program name): parses it, runs the
/// command against the gateway, prints results to `out` and problems to `err`, and returns the
/// exit code (see ExitCode). Never throws.
int RunCli(std::vector<std::string> args, std::ostream& out, std::ostream& err);

}  // namespace dbaas::ctl

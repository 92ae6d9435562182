#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const int code = dbaas::ctl::RunCli(std::move(args), std::cout, std::cerr);
  std::cout.flush();
  return code;
}

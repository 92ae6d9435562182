#pragma once

#include <optional>
#include <string>

namespace dbaas::ctl {

/// True when file descriptor `fd` is a terminal.
bool IsTerminal(int fd) noexcept;

/// Prompts on stderr and reads one line from the terminal on stdin with echo off (restored
/// afterwards, also when reading fails). nullopt at end of input.
std::optional<std::string> ReadPasswordFromTerminal(const std::string& prompt);

/// Reads the first line of stdin without its line ending; nullopt when stdin is empty.
std::optional<std::string> ReadLineFromStdin();

}  // namespace dbaas::ctl

#include "terminal.hpp"

#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

namespace dbaas::ctl {
namespace {

// The terminal settings to put back when Ctrl-C interrupts the password prompt.
termios g_saved_termios{};

extern "C" void RestoreTerminalAndDie(int signal) {
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

}  // namespace

bool IsTerminal(int fd) noexcept {
  return ::isatty(fd) == 1;
}

std::optional<std::string> ReadPasswordFromTerminal(const std::string& prompt) {
  std::cerr << prompt << std::flush;
  termios saved{};
  const bool have_tty = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  using Handler = void (*)(int);
  Handler previous_int = SIG_DFL;
  Handler previous_term = SIG_DFL;
  if (have_tty) {
    g_saved_termios = saved;
    previous_int = std::signal(SIGINT, RestoreTerminalAndDie);
    previous_term = std::signal(SIGTERM, RestoreTerminalAndDie);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  auto line = ReadLineFromStdin();
  if (have_tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::signal(SIGINT, previous_int);
    std::signal(SIGTERM, previous_term);
  }
  return line;
}

std::optional<std::string> ReadLineFromStdin() {
  std::string line;
  if (!std::getline(std::cin, line) && line.empty()) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace dbaas::ctl

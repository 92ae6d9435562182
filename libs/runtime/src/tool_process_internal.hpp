#pragma once

#include <memory>

#include "dbaas/runtime/tool_process.hpp"
#include "process.hpp"

namespace dbaas::runtime {

/// Starts a ToolProcess from a runtime command (which may switch to the database OS user).
struct ToolProcessAccess {
  static std::unique_ptr<ToolProcess> Start(const detail::Command& command, int stdin_fd,
                                            int stdout_fd);
};

}  // namespace dbaas::runtime

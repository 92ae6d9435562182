#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "dbaas/common/error.hpp"
#include "dbaas/testing/programs.hpp"

namespace dbaas::engines::test {

/// Runs `fn` and returns the code of the dbaas::Error it throws; fails the test when it
/// throws nothing or something else.
template <typename Fn>
ErrorCode CodeOf(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.Code();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a dbaas::Error: " << e.what();
    return ErrorCode::kInternal;
  }
  ADD_FAILURE() << "no error thrown";
  return ErrorCode::kInternal;
}

/// A scratch directory for client runs, removed on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dbaas-engines-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& Path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// The names a malicious or careless client might send; all must be refused.
inline std::vector<std::string> HostileNames() {
  return {"x\"; DROP DATABASE postgres; --", "a`b", "'", "x'; DROP USER root; --", "ünïcode",
          "café", "UPPER", "with space", "semi;colon", std::string(81, 'a'), std::string(81, 'b') + "c",
          "postgres", "template1", "mysql", "information_schema", "sys", ""};
}

}  // namespace dbaas::engines::test

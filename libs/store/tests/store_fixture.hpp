#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "dbaas/store/store.hpp"
#include "dbaas/testing/servers.hpp"

namespace dbaas::store {

/// A fresh PostgreSQL server with database `app` (owned by role `app`) per test.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_ = std::make_unique<testing::PostgresServer>();
    uri_ = pg_->CreateDatabase("app");
  }

  PoolConfig Config(std::string application_name = "store-test", std::size_t size = 4) const {
    PoolConfig config;
    config.dsn = uri_;
    config.size = size;
    config.application_name = std::move(application_name);
    config.acquire_timeout = std::chrono::seconds(5);
    return config;
  }

  std::unique_ptr<testing::PostgresServer> pg_;
  std::string uri_;
};

/// Runs `fn` and returns the dbaas::Error it throws; fails the test when it throws nothing.
template <typename Fn>
Error CaptureError(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected a dbaas::Error";
  return Error(ErrorCode::kInternal, "no error thrown");
}

}  // namespace dbaas::store

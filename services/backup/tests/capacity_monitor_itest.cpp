#include <gtest/gtest.h>

#include <vector>

#include "dbaas/common/crypto.hpp"
#include "dbaas/events/v1/backup.pb.h"
#include "domain/capacity_monitor.hpp"
#include "storage/filesystem_store.hpp"
#include "test_support.hpp"

namespace dbaas::backup {
namespace {

void Put(FilesystemStore& store, const std::string& key, std::size_t bytes) {
  auto writer = store.OpenWriter(key);
  writer->Write(crypto::RandomBytes(bytes));
  writer->Commit();
}

TEST(UsedPercent, IsTheUsedShareOfTheSpaceAndUnknownWithoutATotal) {
  EXPECT_DOUBLE_EQ(*UsedPercent({10, 200, 50}), 75.0);
  EXPECT_FALSE(UsedPercent({10, std::nullopt, std::nullopt}).has_value());  // S3, no quota
  EXPECT_FALSE(UsedPercent({0, 0, 0}).has_value());
}

// The store passing the threshold raises one capacity-exceeded event; staying over raises no
// more; falling back below raises capacity-recovered.
TEST(CapacityMonitor, RaisesOneEventPerCrossingOfTheThreshold) {
  test::TempDir dir;
  FilesystemStoreConfig config;
  config.root = dir.Path() / "backups";
  config.quota_bytes = 1000 * 1000;  // the quota is the store's size
  FilesystemStore store(config);
  std::vector<events::Event> published;
  CapacityMonitor monitor(store, 80, [&](const events::Event& e) { published.push_back(e); });

  Put(store, "ins_1/a", 500 * 1000);
  monitor.Check();
  EXPECT_TRUE(published.empty());  // 50 %

  Put(store, "ins_1/b", 350 * 1000);
  const auto reading = monitor.Check();  // 85 %
  ASSERT_EQ(published.size(), 1U);
  EXPECT_EQ(published[0].subject, "dbaas.backup.storage.capacity-exceeded");
  events::v1::BackupStorageEvent msg;
  ASSERT_TRUE(msg.ParseFromString(published[0].payload));
  EXPECT_NEAR(msg.used_percent(), 85.0, 0.5);
  EXPECT_EQ(msg.threshold_percent(), 80.0);
  EXPECT_EQ(msg.used_bytes(), reading.used_bytes);
  EXPECT_NE(msg.store().find("filesystem"), std::string::npos);

  monitor.Check();
  EXPECT_EQ(published.size(), 1U);  // still over: no repeat

  store.Delete("ins_1/b");
  monitor.Check();
  ASSERT_EQ(published.size(), 2U);
  EXPECT_EQ(published[1].subject, "dbaas.backup.storage.capacity-recovered");
  ASSERT_TRUE(monitor.Last().has_value());
  EXPECT_EQ(monitor.Last()->used_bytes, 500U * 1000U);
}

}  // namespace
}  // namespace dbaas::backup

#include <gtest/gtest.h>

#include "dbaas/engines/catalog.hpp"

namespace dbaas::engines {
namespace {

TEST(Catalog, ParsesEngineNames) {
  EXPECT_EQ(ParseEngine("postgresql"), Engine::kPostgresql);
  EXPECT_EQ(ParseEngine("mysql"), Engine::kMysql);
  EXPECT_FALSE(ParseEngine("MySQL"));
  EXPECT_FALSE(ParseEngine("oracle"));
  EXPECT_EQ(EngineName(Engine::kMysql), "mysql");
}

TEST(Catalog, ParsesServerVersionOutput) {
  EXPECT_EQ(ParsePostgresVersion("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"), "15.18");
  EXPECT_EQ(ParsePostgresVersion("postgres (PostgreSQL) 16beta1"), "16");
  EXPECT_FALSE(ParsePostgresVersion("bash: postgres: not found"));
  EXPECT_EQ(ParseMariaDbVersion("mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64"),
            "10.11.19-MariaDB");
  EXPECT_FALSE(ParseMariaDbVersion("mysqld  Ver 8.0.36 for Linux"));
}

TEST(Catalog, StaticAndDynamicFollowTheServers) {
  // pg_settings.context = postmaster
  EXPECT_FALSE(FindParameter(Engine::kPostgresql, "shared_buffers")->dynamic);
  EXPECT_FALSE(FindParameter(Engine::kPostgresql, "max_connections")->dynamic);
  EXPECT_FALSE(FindParameter(Engine::kPostgresql, "wal_level")->dynamic);
  EXPECT_TRUE(FindParameter(Engine::kPostgresql, "work_mem")->dynamic);
  EXPECT_TRUE(FindParameter(Engine::kPostgresql, "max_wal_size")->dynamic);
  EXPECT_TRUE(FindParameter(Engine::kMysql, "innodb_buffer_pool_size")->dynamic);
  EXPECT_TRUE(FindParameter(Engine::kMysql, "max_connections")->dynamic);
  EXPECT_FALSE(FindParameter(Engine::kMysql, "performance_schema")->dynamic);
  EXPECT_EQ(FindParameter(Engine::kMysql, "time_zone")->config_name, "default-time-zone");
  EXPECT_EQ(FindParameter(Engine::kPostgresql, "port"), nullptr);
}

TEST(Catalog, ParametersAreSortedAndUnique) {
  for (auto engine : {Engine::kPostgresql, Engine::kMysql}) {
    const auto& params = Parameters(engine);
    ASSERT_GE(params.size(), 10U);
    for (std::size_t i = 1; i < params.size(); ++i) EXPECT_LT(params[i - 1].name, params[i].name);
  }
}

TEST(Catalog, SizesGrowAndAreFound) {
  const auto& sizes = InstanceSizes();
  ASSERT_GE(sizes.size(), 4U);
  for (std::size_t i = 1; i < sizes.size(); ++i) {
    EXPECT_GT(sizes[i].memory_mib, sizes[i - 1].memory_mib);
    EXPECT_LE(sizes[i].min_storage_gb, sizes[i].max_storage_gb);
  }
  ASSERT_NE(FindSize("medium"), nullptr);
  EXPECT_EQ(FindSize("medium")->vcpu, 2);
  EXPECT_EQ(FindSize("huge"), nullptr);
}

TEST(Catalog, DetectsTheInstalledServers) {
  const auto engines = DetectEngines();
  bool pg = false;
  bool my = false;
  for (const auto& e : engines) {
    if (e.engine == Engine::kPostgresql) {
      pg = true;
      EXPECT_EQ(e.versions.at(0), e.server_version.substr(0, e.server_version.find('.')));
    } else {
      my = true;
      EXPECT_EQ(e.server, "MariaDB");
      EXPECT_EQ(e.versions.at(0), "10.11");
    }
  }
  EXPECT_TRUE(pg) << "install the Debian package postgresql";
  EXPECT_TRUE(my) << "install the Debian package mariadb-server";
  EXPECT_FALSE(DetectPostgres("/nonexistent"));
}

}  // namespace
}  // namespace dbaas::engines

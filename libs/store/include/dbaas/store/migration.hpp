#pragma once

#include <string_view>

namespace dbaas::store {

/// One schema change, embedded in the binary by dbaas_embed_migrations() from NNNN_name.sql.
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

}  // namespace dbaas::store

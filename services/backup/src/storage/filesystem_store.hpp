#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "storage/object_store.hpp"

namespace dbaas::backup {

struct FilesystemStoreConfig {
  /// Root directory, created with mode 0700 when missing (e.g. "<state>/backups").
  std::filesystem::path root;
  /// When set, a write that would take the store's used bytes past this fails with
  /// RESOURCE_EXHAUSTED (the upload is removed).
  std::optional<std::uint64_t> quota_bytes;
};

/// Objects as files under a root directory: files 0600, directories 0700. An upload goes to a
/// temporary file under "<root>/.incoming/", is fsynced and renamed into place on Commit, so a
/// crash never leaves a half-written object under its key (only a temporary file, which the
/// next start removes).
class FilesystemStore final : public ObjectStore {
 public:
  /// Throws Error{FAILED_PRECONDITION} when the root cannot be created or is not a directory.
  explicit FilesystemStore(FilesystemStoreConfig config);

  std::unique_ptr<ObjectWriter> OpenWriter(const std::string& key) override;
  std::unique_ptr<ObjectReader> OpenReader(const std::string& key) override;
  std::optional<ObjectInfo> Stat(const std::string& key) override;
  void Delete(const std::string& key) override;
  std::vector<ObjectInfo> List(const std::string& prefix) override;
  StoreCapacity Capacity() override;
  std::string Describe() const override;

  /// Bytes of committed objects and uploads in progress under the root.
  std::uint64_t UsedBytes() const;
  const std::filesystem::path& Root() const noexcept { return config_.root; }

 private:
  FilesystemStoreConfig config_;
};

}  // namespace dbaas::backup

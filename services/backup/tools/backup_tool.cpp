// dbaas-backup-tool: the backup pipeline from the command line, for operators and for the
// backup benchmark (tests/bench/backup).
//
//   dbaas-backup-tool backup  --store DIR --key KEY --master-key-file FILE
//                             [--compression zstd|gzip|lz4|none] [--rate-limit MBPS] -- CMD ARGS...
//       runs CMD and streams its stdout -> compression -> AES-256-GCM -> DIR/KEY; prints the
//       stored object's metadata as JSON. A failing CMD leaves no object (exit status 1).
//   dbaas-backup-tool restore --store DIR --key KEY --master-key-file FILE
//       authenticates, decrypts and decompresses DIR/KEY to stdout (exit status 1 when corrupt).
//   dbaas-backup-tool verify  --store DIR --key KEY --master-key-file FILE
//       the same without writing the plaintext anywhere.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/runtime/tool_process.hpp"
#include "pipeline/byte_stream.hpp"
#include "pipeline/pipeline.hpp"
#include "storage/filesystem_store.hpp"

namespace {

using namespace dbaas;
using namespace dbaas::backup;

int Usage() {
  std::cerr << "usage: dbaas-backup-tool backup|restore|verify --store DIR --key KEY "
               "--master-key-file FILE [--compression zstd|gzip|lz4|none] [--rate-limit MBPS] "
               "[-- CMD ARGS... (backup)]\n";
  return 2;
}

int Main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string verb = argv[1];
  std::map<std::string, std::string> options;
  std::vector<std::string> command;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) command.emplace_back(argv[i]);
      break;
    }
    if (!arg.starts_with("--") || i + 1 >= argc) return Usage();
    options[arg.substr(2)] = argv[++i];
  }
  for (const char* required : {"store", "key", "master-key-file"}) {
    if (!options.contains(required)) return Usage();
  }
  const auto keys = crypto::LoadOrCreateKeyFile(options["master-key-file"]);
  FilesystemStoreConfig store_config;
  store_config.root = options["store"];
  FilesystemStore store(store_config);
  const auto& key = options["key"];

  if (verb == "backup") {
    if (command.empty()) return Usage();
    BackupOptions backup_options;
    if (options.contains("compression")) {
      const auto c = ParseCompression(options["compression"]);
      if (!c) return Usage();
      backup_options.compression = *c;
    }
    if (options.contains("rate-limit") && std::stod(options["rate-limit"]) > 0) {
      backup_options.throttle_mb_per_s = std::stod(options["rate-limit"]);
    }
    if (command.front().find('/') == std::string::npos) {
      std::cerr << "dbaas-backup-tool: give the command's absolute path\n";
      return 2;
    }
    engines::ToolCommand tool_command;
    tool_command.argv = command;
    for (char** e = environ; *e != nullptr; ++e) tool_command.env.emplace_back(*e);
    runtime::ToolProcess tool(tool_command);
    FdSource source(tool.Stdout());
    BackupResult result;
    try {
      result = WriteBackup(source, store, key, keys, backup_options);
    } catch (...) {
      tool.Kill();
      tool.Wait();
      throw;
    }
    if (const int status = tool.Wait(); status != 0) {
      store.Delete(key);
      std::cerr << "dbaas-backup-tool: " << tool.Name() << " failed (exit status " << status
                << "): " << tool.Stderr() << "\n";
      return 1;
    }
    std::cout << nlohmann::json{{"key", key},
                                {"original_bytes", result.original_bytes},
                                {"stored_bytes", result.stored_bytes},
                                {"stored_sha256", result.stored_sha256},
                                {"plaintext_sha256", result.plaintext_sha256},
                                {"master_key_id", result.master_key_id},
                                {"compression", CompressionName(result.compression)}}
                     .dump()
              << "\n";
    return 0;
  }
  if (verb == "restore") {
    FdSink sink(STDOUT_FILENO);
    ReadBackup(store, key, keys, sink);
    return 0;
  }
  if (verb == "verify") {
    const auto result = VerifyBackup(store, key, keys);
    std::cout << nlohmann::json{{"key", key}, {"verified", true},
                                {"original_bytes", result.original_bytes}}
                     .dump()
              << "\n";
    return 0;
  }
  return Usage();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "dbaas-backup-tool: " << e.what() << "\n";
    return 1;
  }
}

// S3Store against a real S3-protocol server (s3rver from npm, with SigV4 checking; see
// s3rver_sigv4.js), read back and written with an independent client, s3cmd (Debian).

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/testing/programs.hpp"
#include "dbaas/testing/servers.hpp"
#include "pipeline/pipeline.hpp"
#include "storage/s3_store.hpp"
#include "test_support.hpp"

namespace dbaas::backup {
namespace {

namespace fs = std::filesystem;
constexpr const char* kAccessKey = "DBAASTESTKEY";
constexpr const char* kSecretKey = "dbaas-test-secret/0123456789";
constexpr const char* kBucket = "backups";

// s3rver under node on a free loopback port, data in a temporary directory.
class S3Server {
 public:
  S3Server() : port_(testing::FreePort()) {
    testing::InstallNpmPackage(DBAAS_BACKUP_NODE_DIR, "s3rver@3.7.1",
                               fs::path("node_modules") / "s3rver" / "package.json");
    testing::InstallNpmPackage(DBAAS_BACKUP_NODE_DIR, "aws4@1.13.2",
                               fs::path("node_modules") / "aws4" / "package.json");
    if (!testing::OnPath("s3cmd")) {
      throw std::runtime_error("s3cmd is missing: install the Debian package s3cmd");
    }
    test::WriteAll(dir_.Path() / "s3cfg",
                   std::string("[default]\naccess_key = ") + kAccessKey + "\nsecret_key = " +
                       kSecretKey + "\nhost_base = 127.0.0.1:" + std::to_string(port_) +
                       "\nhost_bucket = 127.0.0.1:" + std::to_string(port_) +
                       "\nuse_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n");
    Start();
  }
  ~S3Server() { Stop(); }

  void Start() {
    fs::create_directories(Data());
    const std::string script = std::string(DBAAS_BACKUP_NODE_DIR) + "/s3rver_sigv4.js";
    const std::string log = (dir_.Path() / "s3rver.log").string();
    const auto port = std::to_string(port_);
    const auto data = Data().string();
    fs::remove(log);  // a restart waits for its own "ready", not the previous run's
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (std::freopen(log.c_str(), "a", stdout) == nullptr) ::_exit(126);
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      ::chdir(DBAAS_BACKUP_NODE_DIR);
      // s3rver's continuation tokens use DES, which OpenSSL 3 keeps in its legacy provider.
      ::execlp("node", "node", "--openssl-legacy-provider", script.c_str(), port.c_str(), data.c_str(), kAccessKey, kSecretKey,
               kBucket, nullptr);
      ::_exit(127);
    }
    // Ready when the script says so: an open port alone may be another test's server that took
    // the free port first (s3rver then exits with EADDRINUSE, reported below).
    const auto ready = [&] {
      return test::ReadAll(dir_.Path() / "s3rver.log").find("ready") != std::string::npos;
    };
    for (int i = 0; i < 600 && !ready(); ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("s3rver exited: " + test::ReadAll(dir_.Path() / "s3rver.log"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!ready()) throw std::runtime_error("s3rver did not start within 30 s");
  }

  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string Endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  fs::path Data() const { return dir_.Path() / "data"; }

  S3StoreConfig Config(std::size_t part_size = 8 * 1024 * 1024) const {
    S3StoreConfig c;
    c.endpoint = Endpoint();
    c.bucket = kBucket;
    c.access_key = kAccessKey;
    c.secret_key = kSecretKey;
    c.part_size = part_size;
    c.backoff.base = std::chrono::milliseconds(10);
    c.backoff.cap = std::chrono::milliseconds(50);
    return c;
  }

  // Runs s3cmd with this server's configuration.
  testing::ProgramResult S3cmd(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"s3cmd", "-c", (dir_.Path() / "s3cfg").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunProgram(argv, dir_.Path());
  }

  // Multipart uploads s3rver still holds (started, neither completed nor aborted).
  std::size_t PendingUploads() const {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(Data(), ec)) {
      if (e.path().filename().string().find("_S3rver_uploads") != std::string::npos) {
        for (const auto& u : fs::directory_iterator(e.path())) {
          (void)u;
          ++n;
        }
      }
    }
    return n;
  }

  const fs::path& Dir() const { return dir_.Path(); }

 private:
  test::TempDir dir_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = std::make_unique<S3Server>(); }
  void TearDown() override { server_.reset(); }

  std::string S3cmdGet(const std::string& key) {
    const auto out = server_->Dir() / "download";
    const auto r = server_->S3cmd({"get", "--force", std::string("s3://") + kBucket + "/" + key,
                                   out.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return test::ReadAll(out);
  }

  std::unique_ptr<S3Server> server_;
  crypto::KeyRing ring_ = test::RingOf(crypto::GenerateKey("mk"));
};

TEST_F(S3StoreTest, BackupUploadedByS3StoreDownloadsWithS3cmdAndRestores) {
  S3Store store(server_->Config());
  const std::string rows = [] {
    std::string s;
    for (int i = 0; i < 50000; ++i) s += std::to_string(i) + "\tcustomer " + std::to_string(i) + "\n";
    return s;
  }();
  StringSource source(rows);
  const auto result = WriteBackup(source, store, "ins_1/bak_1.dbk", ring_);
  const auto downloaded = S3cmdGet("ins_1/bak_1.dbk");
  EXPECT_EQ(downloaded.size(), result.stored_bytes);
  EXPECT_EQ(crypto::Sha256Hex(downloaded), result.stored_sha256);
  EXPECT_EQ(downloaded.find("customer 4242"), std::string::npos);
  StringSink sink;
  ReadBackup(store, "ins_1/bak_1.dbk", ring_, sink, {result.stored_sha256, result.plaintext_sha256});
  EXPECT_EQ(sink.Data(), rows);
}

TEST_F(S3StoreTest, ObjectUploadedByS3cmdReadsThroughS3StoreInRanges) {
  const auto data = crypto::RandomBytes(3 * 1024 * 1024 + 17);
  test::WriteAll(server_->Dir() / "upload", data);
  const auto put = server_->S3cmd(
      {"put", (server_->Dir() / "upload").string(), std::string("s3://") + kBucket + "/ext/obj.bin"});
  ASSERT_EQ(put.exit_code, 0) << put.err;

  S3Store store(server_->Config(1024 * 1024));  // four ranged GETs
  const auto info = store.Stat("ext/obj.bin");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, data.size());
  auto reader = store.OpenReader("ext/obj.bin");
  std::string read;
  std::vector<char> buf(300000);
  for (std::size_t n; (n = reader->Read(buf.data(), buf.size())) > 0;) read.append(buf.data(), n);
  EXPECT_EQ(read, data);
  EXPECT_FALSE(store.Stat("ext/missing.bin").has_value());
  EXPECT_THROW(store.OpenReader("ext/missing.bin"), Error);
}

TEST_F(S3StoreTest, WrongSecretKeyIsRefusedClearly) {
  auto config = server_->Config();
  config.secret_key = "not-the-secret";
  S3Store store(config);
  auto writer = store.OpenWriter("ins_1/x.dbk");
  writer->Write("data");
  try {
    writer->Commit();
    FAIL() << "a request signed with the wrong secret was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kUnauthenticated) << e.what();
    EXPECT_NE(std::string(e.what()).find("SignatureDoesNotMatch"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(kAccessKey), std::string::npos) << e.what();
  }
  EXPECT_FALSE(S3Store(server_->Config()).Stat("ins_1/x.dbk").has_value());
}

TEST_F(S3StoreTest, MultipartUploadOfSeveralPartsRoundTrips) {
  S3Store store(server_->Config(256 * 1024));
  const auto data = crypto::RandomBytes(5 * 256 * 1024 + 1000);  // six parts
  auto writer = store.OpenWriter("ins_1/multi.bin");
  for (std::size_t i = 0; i < data.size(); i += 100000) writer->Write(std::string_view(data).substr(i, 100000));
  writer->Commit();
  EXPECT_EQ(S3cmdGet("ins_1/multi.bin"), data);
  EXPECT_EQ(server_->PendingUploads(), 0U);

  BackupOptions options;
  options.compression = Compression::kNone;
  options.chunk_size = 64 * 1024;
  StringSource source(data);
  const auto result = WriteBackup(source, store, "ins_1/multi.dbk", ring_, options);
  EXPECT_EQ(VerifyBackup(store, "ins_1/multi.dbk", ring_).plaintext_sha256, result.plaintext_sha256);
}

TEST_F(S3StoreTest, AbortLeavesNoObjectAndNoPendingUpload) {
  S3Store store(server_->Config(256 * 1024));
  {
    auto writer = store.OpenWriter("ins_1/aborted.bin");
    writer->Write(crypto::RandomBytes(800 * 1024));  // three parts sent
    EXPECT_EQ(server_->PendingUploads(), 1U);
    writer->Abort();
  }
  {
    auto dropped = store.OpenWriter("ins_1/dropped.bin");
    dropped->Write(crypto::RandomBytes(800 * 1024));
  }  // destroyed without Commit
  EXPECT_EQ(server_->PendingUploads(), 0U);
  EXPECT_FALSE(store.Stat("ins_1/aborted.bin").has_value());
  EXPECT_FALSE(store.Stat("ins_1/dropped.bin").has_value());
  const auto ls = server_->S3cmd({"ls", "-r", std::string("s3://") + kBucket});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(ls.out, "");
}

TEST_F(S3StoreTest, StorageUnreachableMidBackupLeavesNoObject) {
  auto config = server_->Config(256 * 1024);
  config.max_attempts = 2;
  S3Store store(config);
  auto writer = store.OpenWriter("ins_1/cut.bin");
  writer->Write(crypto::RandomBytes(600 * 1024));  // two parts uploaded
  server_->Stop();
  try {
    writer->Write(crypto::RandomBytes(300 * 1024));
    writer->Commit();
    FAIL() << "the upload succeeded with the server down";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kUnavailable) << e.what();
  }
  writer.reset();
  server_->Start();
  EXPECT_FALSE(S3Store(server_->Config()).Stat("ins_1/cut.bin").has_value());
}

TEST_F(S3StoreTest, ListFollowsContinuationAndDeleteRemoves) {
  auto config = server_->Config();
  config.list_page_size = 2;
  S3Store store(config);
  for (const char* key : {"ins_1/a", "ins_1/b", "ins_1/c", "ins_1/d", "ins_1/e", "ins_2/a"}) {
    auto w = store.OpenWriter(key);
    w->Write(key);
    w->Commit();
  }
  const auto listed = store.List("ins_1/");
  ASSERT_EQ(listed.size(), 5U);
  EXPECT_EQ(listed.front().key, "ins_1/a");
  EXPECT_EQ(listed.back().key, "ins_1/e");
  EXPECT_EQ(listed.front().size, 7U);
  EXPECT_EQ(store.Capacity().used_bytes, 6U * 7U);
  store.Delete("ins_1/c");
  store.Delete("ins_1/c");
  EXPECT_EQ(store.List("ins_1/").size(), 4U);
}

}  // namespace
}  // namespace dbaas::backup

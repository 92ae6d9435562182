#include "pipeline/pipeline.hpp"

#include <memory>
#include <vector>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "pipeline/backup_format.hpp"
#include "pipeline/sha256_stream.hpp"
#include "pipeline/throttle.hpp"
#include "storage/object_store.hpp"

namespace dbaas::backup {
namespace {

constexpr std::size_t kReadSize = 1024 * 1024;

Error Corrupt(const std::string& key, const std::string& what) {
  return Error(ErrorCode::kFailedPrecondition, "backup " + key + " is corrupt: " + what, {},
               {"restore from another backup; this one cannot be used"});
}

// Reads an object while hashing every byte read.
class HashingReader {
 public:
  explicit HashingReader(ObjectReader& reader) : reader_(reader) {}

  // Reads up to `n` bytes, fewer only at the end of the object.
  std::size_t ReadUpTo(std::string& out, std::size_t n) {
    out.resize(n);
    std::size_t got = 0;
    while (got < n) {
      const auto r = reader_.Read(out.data() + got, n - got);
      if (r == 0) break;
      got += r;
    }
    out.resize(got);
    sha_.Update(out);
    bytes_ += got;
    return got;
  }
  std::uint64_t Bytes() const noexcept { return bytes_; }
  std::string FinishHex() { return sha_.FinishHex(); }

 private:
  ObjectReader& reader_;
  Sha256Stream sha_;
  std::uint64_t bytes_ = 0;
};

}  // namespace

BackupResult WriteBackup(ByteSource& raw_source, ObjectStore& store, const std::string& key,
                         const crypto::KeyRing& ring, const BackupOptions& options) {
  if (ring.Empty()) {
    throw Error(ErrorCode::kFailedPrecondition, "no master key is loaded to encrypt backups");
  }
  if (options.chunk_size == 0 || options.chunk_size > format::kMaxChunkSize) {
    throw Error(ErrorCode::kInvalidArgument, "backup chunk size must be between 1 byte and 16 MiB");
  }
  std::optional<ThrottledSource> throttled;
  if (options.throttle_mb_per_s) throttled.emplace(raw_source, *options.throttle_mb_per_s);
  ByteSource& source = throttled ? static_cast<ByteSource&>(*throttled) : raw_source;

  const auto data_key = crypto::GenerateKey("dk");
  format::Header header;
  header.compression = options.compression;
  header.chunk_size = options.chunk_size;
  header.master_key_id = ring.Primary().id;
  header.wrapped_data_key = crypto::WrapDataKey(ring, data_key);
  header.nonce_prefix = crypto::RandomBytes(format::kNoncePrefixSize);
  const auto header_bytes = format::SerializeHeader(header);
  format::FrameCipher cipher(data_key.bytes, crypto::Sha256(header_bytes), header.nonce_prefix);
  auto compressor = MakeCompressor(options.compression, options.level);

  BackupResult result;
  result.compression = options.compression;
  result.master_key_id = header.master_key_id;
  Sha256Stream stored_sha;
  Sha256Stream plain_sha;

  // Destroying the writer without Commit removes the partial object, also on exceptions.
  auto writer = store.OpenWriter(key);
  const auto put = [&](std::string_view bytes) {
    writer->Write(bytes);
    stored_sha.Update(bytes);
    result.stored_bytes += bytes.size();
  };
  put(header_bytes);

  const std::size_t chunk = options.chunk_size;
  std::string pending;
  pending.reserve(chunk + 512 * 1024);
  std::string frame;
  frame.reserve(chunk + format::kFrameHeaderSize + format::kTagSize);
  std::uint64_t index = 0;
  // Seals full chunks, always keeping at least one byte back so the last frame can be marked
  // final once the stream ends.
  const auto seal_full = [&] {
    std::size_t offset = 0;
    while (pending.size() - offset > chunk) {
      frame.clear();
      cipher.Seal(index++, false, std::string_view(pending).substr(offset, chunk), frame);
      put(frame);
      offset += chunk;
    }
    pending.erase(0, offset);
  };
  const Emit emit = [&](std::string_view piece) {
    pending.append(piece);
    if (pending.size() > chunk) seal_full();
  };

  std::vector<char> buffer(kReadSize);
  for (;;) {
    const auto n = source.Read(buffer.data(), buffer.size());
    if (n == 0) break;
    const std::string_view data(buffer.data(), n);
    plain_sha.Update(data);
    result.original_bytes += n;
    compressor->Update(data, emit);
  }
  compressor->Finish(emit);
  seal_full();
  frame.clear();
  cipher.Seal(index, true, pending, frame);
  put(frame);
  writer->Commit();
  result.stored_sha256 = stored_sha.FinishHex();
  result.plaintext_sha256 = plain_sha.FinishHex();
  return result;
}

BackupResult ReadBackup(ObjectStore& store, const std::string& key, const crypto::KeyRing& ring,
                        ByteSink& sink, const ExpectedDigests& expected) {
  auto object = store.OpenReader(key);
  HashingReader in(*object);
  std::string buf;

  format::HeaderParser parser(key);
  for (;;) {
    const auto need = parser.Needed();
    if (in.ReadUpTo(buf, need) < need) {
      throw Corrupt(key, in.Bytes() == 0 ? "the object is empty"
                                         : "it ends inside the header (truncated)");
    }
    if (parser.Feed(buf)) break;
  }
  const auto& header = parser.Result();

  bool known = false;
  for (const auto& k : ring.Keys()) known = known || k.id == header.master_key_id;
  if (!known) {
    std::string loaded;
    for (const auto& k : ring.Keys()) loaded += (loaded.empty() ? "" : ", ") + k.id;
    throw Error(ErrorCode::kFailedPrecondition,
                "backup " + key + " was encrypted under master key " + header.master_key_id +
                    ", which is not loaded (loaded: " + (loaded.empty() ? "none" : loaded) + ")",
                {}, {"start the backup service with the key file or DBAAS_MASTER_KEY that holds "
                     "master key " + header.master_key_id});
  }
  crypto::Key data_key;
  try {
    data_key = crypto::UnwrapDataKey(ring, header.wrapped_data_key);
  } catch (const crypto::AuthenticationError&) {
    throw Corrupt(key, "its data key failed authentication under master key " +
                           header.master_key_id);
  }
  format::FrameCipher cipher(data_key.bytes, crypto::Sha256(parser.Bytes()), header.nonce_prefix);
  auto decompressor = MakeDecompressor(header.compression);

  BackupResult result;
  result.compression = header.compression;
  result.master_key_id = header.master_key_id;
  Sha256Stream plain_sha;
  const Emit emit = [&](std::string_view piece) {
    plain_sha.Update(piece);
    result.original_bytes += piece.size();
    sink.Write(piece);
  };

  std::string plaintext;
  for (std::uint64_t index = 0;; ++index) {
    const auto chunk_name = "chunk " + std::to_string(index);
    const auto got = in.ReadUpTo(buf, format::kFrameHeaderSize);
    if (got == 0) {
      throw Corrupt(key, "it ends after " + std::to_string(index) +
                             " chunk(s) without its final chunk (truncated)");
    }
    if (got < format::kFrameHeaderSize) throw Corrupt(key, chunk_name + " is truncated");
    const auto flags = static_cast<std::uint8_t>(buf[0]);
    const auto length = format::GetU32(std::string_view(buf).substr(1));
    if ((flags & ~format::kFinalFlag) != 0 || length > header.chunk_size) {
      throw Corrupt(key, chunk_name + " failed authentication (malformed frame header)");
    }
    const bool final = (flags & format::kFinalFlag) != 0;
    const std::size_t sealed_size = length + format::kTagSize;
    if (in.ReadUpTo(buf, sealed_size) < sealed_size) {
      throw Corrupt(key, chunk_name + " is truncated");
    }
    if (!cipher.Open(index, final, buf, plaintext)) {
      throw Corrupt(key, chunk_name + " failed authentication");
    }
    try {
      decompressor->Update(plaintext, emit);
    } catch (const Error& e) {
      if (e.Code() != ErrorCode::kInternal) throw;
      throw Corrupt(key, chunk_name + " does not decompress: " + e.what());
    }
    if (final) break;
  }
  if (in.ReadUpTo(buf, 1) != 0) {
    throw Corrupt(key, "it has data after its final chunk (appended)");
  }
  try {
    decompressor->Finish(emit);
  } catch (const Error& e) {
    if (e.Code() != ErrorCode::kInternal) throw;
    throw Corrupt(key, std::string("the compressed stream is incomplete: ") + e.what());
  }
  result.stored_bytes = in.Bytes();
  result.stored_sha256 = in.FinishHex();
  result.plaintext_sha256 = plain_sha.FinishHex();
  if (expected.stored_sha256 && *expected.stored_sha256 != result.stored_sha256) {
    throw Corrupt(key, "its SHA-256 is " + result.stored_sha256 + ", the backup recorded " +
                           *expected.stored_sha256);
  }
  if (expected.plaintext_sha256 && *expected.plaintext_sha256 != result.plaintext_sha256) {
    throw Corrupt(key, "the restored data's SHA-256 is " + result.plaintext_sha256 +
                           ", the backup recorded " + *expected.plaintext_sha256);
  }
  sink.Finish();
  return result;
}

BackupResult VerifyBackup(ObjectStore& store, const std::string& key, const crypto::KeyRing& ring,
                          const ExpectedDigests& expected) {
  DiscardSink nothing;
  return ReadBackup(store, key, ring, nothing, expected);
}

}  // namespace dbaas::backup

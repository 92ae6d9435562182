#include "pipeline/compression.hpp"

#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "dbaas/common/error.hpp"

namespace dbaas::backup {
namespace {

constexpr std::size_t kOutBuffer = 256 * 1024;
// Inputs are fed to the libraries in slices so every output bound stays small.
constexpr std::size_t kInSlice = 64 * 1024;

[[noreturn]] void Fail(std::string_view algorithm, std::string_view what) {
  throw Error(ErrorCode::kInternal,
              std::string(algorithm) + " stream is malformed: " + std::string(what));
}

class Identity final : public StreamTransform {
 public:
  void Update(std::string_view input, const Emit& emit) override {
    while (!input.empty()) {
      const auto n = std::min(input.size(), kOutBuffer);
      emit(input.substr(0, n));
      input.remove_prefix(n);
    }
  }
  void Finish(const Emit&) override {}
};

class ZstdCompressor final : public StreamTransform {
 public:
  explicit ZstdCompressor(int level) : ctx_(ZSTD_createCCtx()), out_(kOutBuffer) {
    if (ctx_ == nullptr) throw Error(ErrorCode::kInternal, "zstd: out of memory");
    ZSTD_CCtx_setParameter(ctx_, ZSTD_c_compressionLevel, level == 0 ? 3 : level);
  }
  ~ZstdCompressor() override { ZSTD_freeCCtx(ctx_); }
  void Update(std::string_view input, const Emit& emit) override {
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    while (in.pos < in.size) Step(in, ZSTD_e_continue, emit);
  }
  void Finish(const Emit& emit) override {
    ZSTD_inBuffer in{nullptr, 0, 0};
    while (Step(in, ZSTD_e_end, emit) != 0) {
    }
  }

 private:
  std::size_t Step(ZSTD_inBuffer& in, ZSTD_EndDirective mode, const Emit& emit) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    const auto rc = ZSTD_compressStream2(ctx_, &out, &in, mode);
    if (ZSTD_isError(rc)) Fail("zstd", ZSTD_getErrorName(rc));
    if (out.pos > 0) emit({out_.data(), out.pos});
    return rc;
  }
  ZSTD_CCtx* ctx_;
  std::vector<char> out_;
};

class ZstdDecompressor final : public StreamTransform {
 public:
  ZstdDecompressor() : ctx_(ZSTD_createDCtx()), out_(kOutBuffer) {
    if (ctx_ == nullptr) throw Error(ErrorCode::kInternal, "zstd: out of memory");
    // Bound the window so a hostile frame cannot make us allocate gigabytes (128 MiB max).
    ZSTD_DCtx_setParameter(ctx_, ZSTD_d_windowLogMax, 27);
  }
  ~ZstdDecompressor() override { ZSTD_freeDCtx(ctx_); }
  void Update(std::string_view input, const Emit& emit) override {
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    for (;;) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      const auto consumed_before = in.pos;
      const auto rc = ZSTD_decompressStream(ctx_, &out, &in);
      if (ZSTD_isError(rc)) Fail("zstd", ZSTD_getErrorName(rc));
      // A call that made no progress after a frame ended answers the next frame's header size,
      // which says nothing about whether the stream so far is complete.
      if (out.pos > 0 || in.pos != consumed_before) last_ = rc;
      if (out.pos > 0) emit({out_.data(), out.pos});
      // Done with this input once it is consumed and the output buffer was not filled.
      if (in.pos == in.size && out.pos < out.size) break;
    }
  }
  void Finish(const Emit&) override {
    if (last_ != 0) Fail("zstd", "the stream ends inside a frame");
  }

 private:
  ZSTD_DCtx* ctx_;
  std::vector<char> out_;
  std::size_t last_ = 0;
};

class GzipTransform final : public StreamTransform {
 public:
  GzipTransform(bool compress, int level) : compress_(compress), out_(kOutBuffer) {
    const int rc = compress_ ? deflateInit2(&z_, level == 0 ? 6 : level, Z_DEFLATED, 15 + 16, 8,
                                            Z_DEFAULT_STRATEGY)
                             : inflateInit2(&z_, 15 + 16);
    if (rc != Z_OK) throw Error(ErrorCode::kInternal, "zlib: cannot initialise");
  }
  ~GzipTransform() override {
    if (compress_) {
      deflateEnd(&z_);
    } else {
      inflateEnd(&z_);
    }
  }
  void Update(std::string_view input, const Emit& emit) override {
    while (!input.empty()) {
      const auto slice = std::min(input.size(), kInSlice);
      Run(input.substr(0, slice), Z_NO_FLUSH, emit);
      input.remove_prefix(slice);
    }
  }
  void Finish(const Emit& emit) override {
    if (compress_) {
      Run({}, Z_FINISH, emit);
    } else if (!ended_) {
      Fail("gzip", "the stream ends inside a member");
    }
  }

 private:
  void Run(std::string_view input, int flush, const Emit& emit) {
    // zlib's API is not const-correct; it never writes through next_in.
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    z_.avail_in = static_cast<uInt>(input.size());
    for (;;) {
      z_.next_out = reinterpret_cast<Bytef*>(out_.data());
      z_.avail_out = static_cast<uInt>(out_.size());
      int rc = 0;
      if (compress_) {
        rc = deflate(&z_, flush);
        if (rc == Z_STREAM_ERROR) Fail("gzip", "deflate failed");
      } else {
        if (ended_ && z_.avail_in > 0) Fail("gzip", "data after the end of the stream");
        rc = inflate(&z_, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) ended_ = true;
        if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR) {
          Fail("gzip", z_.msg != nullptr ? z_.msg : "inflate failed");
        }
      }
      const auto produced = out_.size() - z_.avail_out;
      if (produced > 0) emit({out_.data(), produced});
      if (compress_ && flush == Z_FINISH) {
        if (rc == Z_STREAM_END) break;
        continue;
      }
      if (z_.avail_in == 0 && z_.avail_out != 0) break;
      if (ended_ && produced == 0) {
        if (z_.avail_in > 0) Fail("gzip", "data after the end of the stream");
        break;
      }
    }
  }
  bool compress_;
  z_stream z_{};
  std::vector<char> out_;
  bool ended_ = false;
};

class Lz4Compressor final : public StreamTransform {
 public:
  explicit Lz4Compressor(int level) {
    if (LZ4F_isError(LZ4F_createCompressionContext(&ctx_, LZ4F_VERSION))) {
      throw Error(ErrorCode::kInternal, "lz4: out of memory");
    }
    prefs_.compressionLevel = level;
    prefs_.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    out_.resize(std::max<std::size_t>(LZ4F_compressBound(kInSlice, &prefs_), LZ4F_HEADER_SIZE_MAX));
  }
  ~Lz4Compressor() override { LZ4F_freeCompressionContext(ctx_); }
  void Update(std::string_view input, const Emit& emit) override {
    Begin(emit);
    while (!input.empty()) {
      const auto slice = std::min(input.size(), kInSlice);
      const auto n = LZ4F_compressUpdate(ctx_, out_.data(), out_.size(), input.data(), slice,
                                         nullptr);
      if (LZ4F_isError(n)) Fail("lz4", LZ4F_getErrorName(n));
      if (n > 0) emit({out_.data(), n});
      input.remove_prefix(slice);
    }
  }
  void Finish(const Emit& emit) override {
    Begin(emit);
    const auto n = LZ4F_compressEnd(ctx_, out_.data(), out_.size(), nullptr);
    if (LZ4F_isError(n)) Fail("lz4", LZ4F_getErrorName(n));
    if (n > 0) emit({out_.data(), n});
  }

 private:
  void Begin(const Emit& emit) {
    if (begun_) return;
    begun_ = true;
    const auto n = LZ4F_compressBegin(ctx_, out_.data(), out_.size(), &prefs_);
    if (LZ4F_isError(n)) Fail("lz4", LZ4F_getErrorName(n));
    emit({out_.data(), n});
  }
  LZ4F_cctx* ctx_ = nullptr;
  LZ4F_preferences_t prefs_{};
  std::vector<char> out_;
  bool begun_ = false;
};

class Lz4Decompressor final : public StreamTransform {
 public:
  Lz4Decompressor() : out_(kOutBuffer) {
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx_, LZ4F_VERSION))) {
      throw Error(ErrorCode::kInternal, "lz4: out of memory");
    }
  }
  ~Lz4Decompressor() override { LZ4F_freeDecompressionContext(ctx_); }
  void Update(std::string_view input, const Emit& emit) override {
    while (!input.empty() || pending_output_) {
      std::size_t out_size = out_.size();
      std::size_t in_size = input.size();
      const auto hint =
          LZ4F_decompress(ctx_, out_.data(), &out_size, input.data(), &in_size, nullptr);
      if (LZ4F_isError(hint)) Fail("lz4", LZ4F_getErrorName(hint));
      if (out_size > 0 || in_size > 0) last_hint_ = hint;
      if (out_size > 0) emit({out_.data(), out_size});
      input.remove_prefix(in_size);
      // A full output buffer may mean more output is waiting without more input.
      pending_output_ = out_size == out_.size();
      if (in_size == 0 && out_size == 0) break;
    }
  }
  void Finish(const Emit&) override {
    if (last_hint_ != 0) Fail("lz4", "the stream ends inside a frame");
  }

 private:
  LZ4F_dctx* ctx_ = nullptr;
  std::vector<char> out_;
  std::size_t last_hint_ = 1;
  bool pending_output_ = false;
};

}  // namespace

std::string_view CompressionName(Compression c) noexcept {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kZstd: return "zstd";
    case Compression::kGzip: return "gzip";
    case Compression::kLz4: return "lz4";
  }
  return "unknown";
}

std::optional<Compression> ParseCompression(std::string_view name) noexcept {
  for (auto c : {Compression::kNone, Compression::kZstd, Compression::kGzip, Compression::kLz4}) {
    if (CompressionName(c) == name) return c;
  }
  return std::nullopt;
}

std::optional<Compression> CompressionFromByte(std::uint8_t value) noexcept {
  if (value > static_cast<std::uint8_t>(Compression::kLz4)) return std::nullopt;
  return static_cast<Compression>(value);
}

std::unique_ptr<StreamTransform> MakeCompressor(Compression c, int level) {
  switch (c) {
    case Compression::kNone: return std::make_unique<Identity>();
    case Compression::kZstd: return std::make_unique<ZstdCompressor>(level);
    case Compression::kGzip: return std::make_unique<GzipTransform>(true, level);
    case Compression::kLz4: return std::make_unique<Lz4Compressor>(level);
  }
  throw Error(ErrorCode::kInvalidArgument, "unknown compression");
}

std::unique_ptr<StreamTransform> MakeDecompressor(Compression c) {
  switch (c) {
    case Compression::kNone: return std::make_unique<Identity>();
    case Compression::kZstd: return std::make_unique<ZstdDecompressor>();
    case Compression::kGzip: return std::make_unique<GzipTransform>(false, 0);
    case Compression::kLz4: return std::make_unique<Lz4Decompressor>();
  }
  throw Error(ErrorCode::kInvalidArgument, "unknown compression");
}

}  // namespace dbaas::backup

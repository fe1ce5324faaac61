#include "http/content_decoder.hpp"

#include <cstring>

#include "core/strings.hpp"

namespace gw::http {
namespace {

Error bad_body(std::string detail) {
  return make_error(Reason::UpstreamProtocolError, std::move(detail), Origin::Upstream);
}

}  // namespace

struct ContentDecoder::Stream {
  z_stream z{};
  bool initialised = false;
  ~Stream() {
    if (initialised) inflateEnd(&z);
  }
  // windowBits 15 + 32: zlib or gzip, told apart by the header; -15: raw deflate.
  bool init(int window_bits) {
    if (initialised) inflateEnd(&z);
    z = z_stream{};
    initialised = inflateInit2(&z, window_bits) == Z_OK;
    return initialised;
  }
};

bool ContentDecoder::is_identity(std::string_view encoding) noexcept {
  encoding = trim(encoding);
  return encoding.empty() || iequals(encoding, "identity");
}

std::optional<ContentDecoder> ContentDecoder::for_encoding(std::string_view encoding) {
  encoding = trim(encoding);
  if (iequals(encoding, "gzip") || iequals(encoding, "x-gzip")) return ContentDecoder(false);
  // "deflate" is meant to be zlib-wrapped (RFC 9110 8.4.1.2), but some servers send it raw.
  if (iequals(encoding, "deflate")) return ContentDecoder(true);
  return std::nullopt;
}

ContentDecoder::ContentDecoder(bool raw_deflate_fallback)
    : stream_(std::make_unique<Stream>()), raw_deflate_fallback_(raw_deflate_fallback) {}
ContentDecoder::~ContentDecoder() = default;
ContentDecoder::ContentDecoder(ContentDecoder&&) noexcept = default;
ContentDecoder& ContentDecoder::operator=(ContentDecoder&&) noexcept = default;

Result<void> ContentDecoder::decode(std::string_view in, bool last, std::string& out,
                                    std::uint64_t max_output) {
  std::string joined;  // the first bytes, when the header was split between pieces
  if (!started_) {
    // "deflate" is told apart as zlib or raw by its first two bytes: wait for them.
    if (raw_deflate_fallback_ && head_.size() + in.size() < 2 && !last) {
      head_.append(in);
      return {};
    }
    if (!head_.empty()) {
      joined = head_ + std::string(in);
      in = joined;
    }
    if (in.empty() && !last) return {};
    started_ = true;
    int bits = 15 + 32;
    // A zlib stream starts with a header whose 16-bit value is a multiple of 31.
    if (raw_deflate_fallback_ && in.size() >= 2) {
      const unsigned header =
          (static_cast<unsigned char>(in[0]) << 8) | static_cast<unsigned char>(in[1]);
      if ((in[0] & 0x0f) != 8 || header % 31 != 0) bits = -15;
    }
    if (!stream_->init(bits)) return bad_body("cannot start decoding the upstream's body");
  }
  auto& z = stream_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  char chunk[16 * 1024];
  // Until the input is used up and zlib has nothing more to give for it (a full output
  // buffer may hide more).
  bool output_full = false;
  while ((z.avail_in > 0 || output_full) && !ended_) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    const int rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t n = sizeof chunk - z.avail_out;
    output_full = z.avail_out == 0;
    produced_ += n;
    if (produced_ > max_output) {
      return bad_body("the upstream's decoded body exceeds " + std::to_string(max_output) +
                      " bytes");
    }
    out.append(chunk, n);
    if (rc == Z_STREAM_END) {
      ended_ = true;
    } else if (rc == Z_BUF_ERROR && n == 0) {
      break;  // needs more input
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return bad_body(std::string("the upstream's compressed body is corrupt: ") +
                      (z.msg ? z.msg : "inflate failed"));
    }
  }
  if (ended_ && z.avail_in > 0) {
    return bad_body("the upstream's compressed body has bytes after its end");
  }
  if (last && !ended_) return bad_body("the upstream's compressed body ends early");
  return {};
}

}  // namespace gw::http

#pragma once

// Compresses test bodies the way upstreams do (zlib's deflate): gzip, zlib-wrapped or raw.

#include <zlib.h>

#include <string>
#include <string_view>

namespace gw::test {

// window_bits: 15 + 16 gzip, 15 zlib-wrapped deflate, -15 raw deflate.
inline std::string compress(std::string_view text, int window_bits = 15 + 16) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(static_cast<uLong>(text.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace gw::test

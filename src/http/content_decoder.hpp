#pragma once

// Decodes a compressed HTTP body (Content-Encoding gzip, x-gzip or deflate) piece by piece, so
// that stages read what the upstream meant rather than its compressed bytes.

#include <zlib.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace gw::http {

class ContentDecoder {
 public:
  // A decoder for this Content-Encoding value; nullopt for an encoding it cannot decode (br,
  // zstd, compress, a list of several). "identity" and "" need no decoder: check first.
  static std::optional<ContentDecoder> for_encoding(std::string_view encoding);
  // Whether a Content-Encoding value means the body is not encoded.
  static bool is_identity(std::string_view encoding) noexcept;

  ~ContentDecoder();
  ContentDecoder(ContentDecoder&&) noexcept;
  ContentDecoder& operator=(ContentDecoder&&) noexcept;

  // Decodes the next piece, appending to `out`; `max_output` bounds the total decoded size (a
  // decompression bomb is refused). `last` when the body ends with this piece: a stream cut
  // short is then an error.
  Result<void> decode(std::string_view in, bool last, std::string& out,
                      std::uint64_t max_output = UINT64_MAX);
  // Decoded bytes so far.
  std::uint64_t produced() const noexcept { return produced_; }

 private:
  struct Stream;
  explicit ContentDecoder(bool raw_deflate_fallback);
  std::unique_ptr<Stream> stream_;
  bool raw_deflate_fallback_;
  std::string head_;  // "deflate": a first byte kept until the second arrives
  bool started_ = false;
  bool ended_ = false;
  std::uint64_t produced_ = 0;
};

}  // namespace gw::http

#include "core/result.hpp"

#include <stdexcept>

namespace gw {

void throw_exception_from_error(const Error& error, const boost::source_location&) {
  throw std::runtime_error(std::string(code(error.reason)) + ": " + error.detail);
}

}  // namespace gw

#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <string>

#include "core/reason.hpp"

namespace gw {

// Where an error came from: decides 4xx vs 5xx and whether a retry can help.
enum class Origin { Client, Upstream, Internal };

// An expected failure on the request path: a value, never an exception.
struct Error {
  Reason reason = Reason::Internal;
  std::string detail;  // safe to show the client: never a secret or a token
  Origin origin = Origin::Client;
};

[[noreturn]] void throw_exception_from_error(const Error& error,
                                             const boost::source_location& location);

template <class T>
using Result = boost::system::result<T, Error>;

inline Error make_error(Reason reason, std::string detail = {}, Origin origin = Origin::Client) {
  return Error{reason, std::move(detail), origin};
}

}  // namespace gw

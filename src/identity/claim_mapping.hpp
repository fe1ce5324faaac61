#pragma once

// Verified payload -> gw::Identity, following the issuer's configured claim paths.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/identity.hpp"
#include "core/result.hpp"
#include "identity/identity.hpp"

namespace gw::identity {

// The claim at `path`: the whole path as one key first (namespaced claims such as
// "https://example.com/roles"), then the path split on '.' into nested objects.
const boost::json::value* find_claim(const boost::json::object& claims, std::string_view path);

// Strings of a claim value: an array's string elements, or a string (split on spaces when
// `split_spaces`, as OAuth `scope` is). Anything else yields nothing.
std::vector<std::string> claim_strings(const boost::json::value& value, bool split_spaces);

// Builds the Identity. The user id is required (MissingSubject otherwise); email, tenant and
// team take the first path present; roles and scopes are the union of every path, in order,
// without duplicates.
Result<Identity> map_claims(const boost::json::object& claims, const ClaimPaths& paths);

}  // namespace gw::identity

#pragma once

// OpenID Connect Discovery 1.0: the issuer's metadata document names its jwks_uri.

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace gw::identity {

// "{issuer}/.well-known/openid-configuration" (one slash between, whatever the issuer ends with).
std::string discovery_url(std::string_view issuer);

// An issuer compared as the gateway compares `iss`: exact, but a single trailing slash on
// either side is ignored.
bool same_issuer(std::string_view a, std::string_view b) noexcept;

// Reads `jwks_uri` from a discovery document. The document's `issuer` must be the configured
// one (OIDC Discovery §4.3), and jwks_uri an http(s) URL.
Result<std::string> parse_discovery(std::string_view document, std::string_view expected_issuer,
                                    std::size_t max_bytes = 1024 * 1024);

}  // namespace gw::identity

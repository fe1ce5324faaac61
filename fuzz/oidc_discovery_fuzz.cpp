// An OpenID Connect discovery document as an issuer serves it (identity::parse_discovery):
// whatever it holds, what comes out is an http(s) jwks_uri, or an error.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "identity/oidc_discovery.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view document = gw::fuzz::as_text(data, size);
  auto jwks_uri = gw::identity::parse_discovery(document, "https://idp.test/");
  if (jwks_uri) {
    GW_FUZZ_CHECK(jwks_uri->starts_with("https://") || jwks_uri->starts_with("http://"));
  }
  // The issuer comparison (iss against configured issuers) is reflexive and symmetric for
  // non-empty issuers.
  const std::string_view half = document.substr(0, document.size() / 2);
  if (!half.empty()) {
    GW_FUZZ_CHECK(gw::identity::same_issuer(half, half));
    GW_FUZZ_CHECK(gw::identity::same_issuer(document, half) ==
                  gw::identity::same_issuer(half, document));
  }
  (void)gw::identity::discovery_url(half);
  return 0;
}

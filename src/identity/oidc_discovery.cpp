#include "identity/oidc_discovery.hpp"

#include <boost/json/parse.hpp>

namespace gw::identity {
namespace {

std::string_view strip_slash(std::string_view s) noexcept {
  if (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

Error discovery_error(std::string detail) {
  return make_error(Reason::JwksUnavailable, std::move(detail), Origin::Upstream);
}

}  // namespace

std::string discovery_url(std::string_view issuer) {
  return std::string(strip_slash(issuer)) + "/.well-known/openid-configuration";
}

bool same_issuer(std::string_view a, std::string_view b) noexcept {
  return !a.empty() && strip_slash(a) == strip_slash(b);
}

Result<std::string> parse_discovery(std::string_view document, std::string_view expected_issuer,
                                    std::size_t max_bytes) {
  if (document.size() > max_bytes) return discovery_error("discovery document too large");
  boost::system::error_code ec;
  auto value = boost::json::parse(document, ec);
  if (ec || !value.is_object()) return discovery_error("discovery document is not JSON");
  const auto& doc = value.as_object();
  const auto* issuer = doc.if_contains("issuer");
  if (issuer == nullptr || !issuer->is_string() ||
      !same_issuer(issuer->get_string(), expected_issuer)) {
    return discovery_error("discovery document names another issuer");
  }
  const auto* uri = doc.if_contains("jwks_uri");
  if (uri == nullptr || !uri->is_string()) return discovery_error("discovery without jwks_uri");
  std::string_view text = uri->get_string();
  if (!text.starts_with("https://") && !text.starts_with("http://")) {
    return discovery_error("jwks_uri is not an http(s) URL");
  }
  return std::string(text);
}

}  // namespace gw::identity

#pragma once

// Identity layer: Bearer JWT -> verified gw::Identity.
//
// The server builds one Authenticator per config snapshot (shared by every worker thread),
// gives it an HTTP fetcher and starts its background JWKS refresh, then puts make_stage() first
// in the pipeline. The layer does no network I/O of its own: every fetch goes through Fetcher.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/config_reader.hpp"
#include "core/identity.hpp"
#include "core/result.hpp"
#include "core/stage.hpp"
#include "crypto/crypto.hpp"

namespace gw::identity {

// GETs `url`; yields the body of a 200 response, or an Error (any other status, timeout, too
// large, TLS failure ...). Called from the worker thread that needs the keys, on its executor.
using Fetcher = std::function<net::awaitable<Result<std::string>>(std::string url)>;

// Where the Identity fields are read from in the verified payload. Each entry is a claim path:
// a whole key first (namespaced URL claims such as "https://example.com/roles"), then a dotted
// path into nested objects ("realm_access.roles"). Single-valued fields take the first path
// present; roles and scopes are the union over all listed paths.
struct ClaimPaths {
  std::vector<std::string> user_id{"sub"};
  std::vector<std::string> email{"email"};
  std::vector<std::string> roles{"roles", "realm_access.roles"};
  std::vector<std::string> scopes{"scope", "scp", "permissions"};
  std::vector<std::string> tenant{"org_id", "tid", "tenant"};
  std::vector<std::string> team{"team"};
};

struct IssuerConfig {
  std::string issuer;    // exact `iss` (a trailing slash is tolerated either way)
  std::string jwks_uri;  // empty: OIDC discovery at {issuer}/.well-known/openid-configuration
  std::vector<std::string> audiences;  // the token's aud must contain at least one
  std::vector<crypto::Algorithm> algorithms{crypto::Algorithm::RS256};
  std::chrono::milliseconds refresh_interval{300'000};
  std::chrono::milliseconds min_refetch_interval{30'000};  // unknown-kid refetch rate limit
  ClaimPaths claims;
};

struct IdentityConfig {
  std::vector<IssuerConfig> issuers;
  std::chrono::seconds clock_skew{60};
  bool token_cache_enabled = true;
  std::size_t token_cache_max_entries = 10'000;
  std::string realm = "gatewaystack";
  std::size_t max_token_bytes = 8192;
  std::size_t max_jwks_bytes = 1024 * 1024;
  // RFC 9728 protected resource metadata URL, added to WWW-Authenticate on MCP routes.
  std::string resource_metadata;
};

// Reads the `identity:` mapping. Problems (missing issuer, bad algorithm, unknown keys ...) are
// added to the map's Problems; the returned config is then not to be used.
IdentityConfig parse_config(config::Map& identity_section);

using IdentityResult = Result<std::shared_ptr<const Identity>>;

// Verifies tokens against the configured issuers. Thread-safe; shared by all workers.
class Authenticator {
 public:
  static std::shared_ptr<Authenticator> create(IdentityConfig config, Fetcher fetcher,
                                               ClockSharedPtr clock = system_clock());
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // Verifies a compact JWS (the Bearer credential, without the scheme). Suspends only to fetch
  // keys (first use, unknown kid). `token` must stay valid until the awaitable completes.
  net::awaitable<IdentityResult> authenticate(std::string_view token);
  // The same without suspending: nullopt when the answer needs keys that have to be fetched
  // first (then call authenticate). A cache hit or a known key answers here.
  std::optional<IdentityResult> try_authenticate(std::string_view token);

  // Starts the background JWKS refresh of every issuer on `executor` (fetches immediately).
  void start(net::any_io_executor executor);
  void stop();  // thread-safe; the refresh loops end at their next wake-up
  // True when every issuer's keys were fetched at least once (for /readyz).
  bool ready() const noexcept;
  // The configured issuers whose keys were never fetched (their tokens get 503
  // jwks_unavailable), in configuration order; empty when ready(). For /readyz.
  std::vector<std::string> issuers_without_keys() const;
  const IdentityConfig& config() const noexcept;

  struct Impl;

 private:
  explicit Authenticator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};
using AuthenticatorSharedPtr = std::shared_ptr<Authenticator>;

// The pipeline stage: public routes pass; otherwise Authorization: Bearer is required and
// verified, ctx.identity is set, or the request is rejected with a reason
// and a WWW-Authenticate header (RFC 6750).
StagePtr make_stage(AuthenticatorSharedPtr authenticator);

// The WWW-Authenticate value for a rejection with `reason` (exposed for tests); empty for
// reasons that are not 401s. `resource_metadata`: the RFC 9728 metadata URL MCP clients get.
std::string www_authenticate(const IdentityConfig& config, Reason reason, bool is_mcp_route,
                             std::string_view resource_metadata);

}  // namespace gw::identity

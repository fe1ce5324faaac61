#pragma once

// Proxy layer: upstream configuration and pools, identity injection and credential swap,
// forwarding with streamed bodies (SSE passes through as it arrives), usage extraction.
// The forwarding itself is a template over the client's stream type: see forward.hpp,
// included only by the server.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config_reader.hpp"
#include "core/request_context.hpp"
#include "core/sse.hpp"
#include "crypto/crypto.hpp"
#include "http/http.hpp"

namespace gw::proxy {

// Names of the headers that carry the verified identity upstream. Client-sent copies of
// these (and of any X-User-*, X-Tenant-*, X-Team-* header) are always removed.
struct IdentityHeaderNames {
  std::string user_id = "X-User-Id";
  std::string email = "X-User-Email";
  std::string roles = "X-User-Role";
  std::string scopes = "X-User-Scopes";
  std::string tenant = "X-Tenant-Id";
  std::string team = "X-Team-Id";
};

// What happens to a client header whose name has '_' (server.headers.underscores). Names
// that equal a header the gateway strips or sets, with '_' taken as '-', are dropped
// whatever this says.
enum class UnderscoreHeaders {
  Pass,    // forwarded as sent
  Drop,    // removed
  Reject,  // the request is refused (400 invalid_header)
};

struct IdentityAssertion {
  std::string header;  // empty = off
  std::chrono::seconds ttl{60};
};

struct UpstreamConfig {
  std::string name;
  std::string url;
  http::Endpoint endpoint;
  std::string ca_file;
  std::string credential_header;  // empty = no credential
  std::string credential_value;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds response_timeout{60000};
  std::size_t pool_max_idle = 64;
  std::chrono::milliseconds pool_idle_timeout{4000};
  IdentityAssertion assertion;
  std::shared_ptr<http::ssl::context> tls;  // set for https upstreams
};

struct SigningConfig {
  std::string key_file;  // empty = ephemeral key
  crypto::Algorithm algorithm = crypto::Algorithm::EdDSA;
  std::string issuer = "gatewaystack";
};

struct ProxyConfig {
  std::map<std::string, UpstreamConfig, std::less<>> upstreams;
  IdentityHeaderNames headers;
  SigningConfig signing;
  std::size_t max_response_buffer_bytes = 16 * 1024 * 1024;
};

// Reads `upstreams:`, `identity_headers:` and `signing:` from the root of the config.
ProxyConfig parse_config(config::Map& root, const std::string& base_dir);

// Shared by every worker: configuration, TLS contexts and the gateway's signing key.
class Proxy {
 public:
  // Loads or generates the signing key and builds TLS contexts; a Result so that a bad key
  // file is reported at startup.
  static Result<std::shared_ptr<const Proxy>> create(ProxyConfig config);

  const ProxyConfig& config() const noexcept { return config_; }
  const UpstreamConfig* upstream(std::string_view name) const;
  // The gateway's public signing keys as a JWKS document.
  std::string jwks() const;
  // Signed identity assertion for this request and upstream.
  Result<std::string> sign_assertion(const RequestContext& ctx, const UpstreamConfig& up) const;

 private:
  explicit Proxy(ProxyConfig config, crypto::PrivateKey key, std::string kid);
  ProxyConfig config_;
  crypto::PrivateKey key_;
  std::string kid_;
};
using ProxyConstSharedPtr = std::shared_ptr<const Proxy>;

// Idle upstream connections of one worker thread, per upstream. Not thread-safe by design:
// each worker owns one.
class UpstreamPool {
 public:
  http::ConnectionPtr acquire(const UpstreamConfig& up);
  void release(const UpstreamConfig& up, http::ConnectionPtr conn);
  std::size_t idle_count() const noexcept;
  void clear();

 private:
  std::map<std::string, std::vector<http::ConnectionPtr>, std::less<>> idle_;
};

// Rewrites a JSON request body for the upstream: OpenAI `user` and Anthropic
// `metadata.user_id` set to the verified user id, every other byte kept as sent. False when
// the body is not one to change; an invalid_json error when the member (or `metadata`) appears
// more than once, since backends differ on which copy they read.
Result<bool> inject_user_into_body(RequestContext& ctx);

// Reads token usage from an OpenAI/Anthropic JSON body or SSE stream as it passes (decoded).
// What the upstream reported wins; an answer that ended before reporting it (client gone,
// upstream reset, stream cut) is charged for what passed: one token per content delta event
// at least, and one per four bytes of delta text when that is more.
class UsageExtractor {
 public:
  explicit UsageExtractor(bool is_event_stream) : is_event_stream_(is_event_stream) {}
  void feed(std::string_view data);
  // Writes the usage into `usage`: reported, or estimated (output from what passed, input from
  // `input_estimate`) when the upstream reported none and something passed.
  void finish(Usage& usage, std::int64_t input_estimate = 0);

 private:
  void on_event(std::string_view event);
  void read_usage(std::string_view json_text);
  void count_deltas(std::string_view json_text);
  bool is_event_stream_;
  SseSplitter events_;
  std::string body_;  // a JSON answer, up to kMaxJsonBody
  std::string data_;  // scratch: one event's data
  bool overflow_ = false;
  std::uint64_t body_bytes_ = 0;
  std::int64_t delta_events_ = 0;
  std::int64_t delta_bytes_ = 0;
  Usage usage_;
};

}  // namespace gw::proxy

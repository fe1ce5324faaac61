#include <boost/asio/co_spawn.hpp>

#include "identity/identity.hpp"
#include "identity/jwks_cache.hpp"
#include "identity/jwt.hpp"
#include "identity/oidc_discovery.hpp"
#include "identity/stats.hpp"
#include "identity/token_cache.hpp"
#include "identity/verifier.hpp"

namespace gw::identity {

struct Authenticator::Impl {
  struct Issuer {
    IssuerConfig config;
    std::shared_ptr<JwksCache> cache;
  };

  IdentityConfig config;
  ClockSharedPtr clock;
  std::vector<Issuer> issuers;
  std::unique_ptr<TokenCache> token_cache;

  const Issuer* find_issuer(std::string_view iss) const noexcept {
    for (const auto& issuer : issuers) {
      if (same_issuer(iss, issuer.config.issuer)) return &issuer;
    }
    return nullptr;
  }

  net::awaitable<Result<std::shared_ptr<const Identity>>> authenticate(std::string_view token);
};

namespace {

Error counted(Error error) {
  stats().verification(error.reason).inc();
  return error;
}

}  // namespace

net::awaitable<Result<std::shared_ptr<const Identity>>> Authenticator::Impl::authenticate(
    std::string_view token) {
  if (token.empty()) co_return counted(make_error(Reason::MissingToken, "no bearer token"));
  if (token.size() > config.max_token_bytes) {
    co_return counted(make_error(Reason::MalformedToken, "token too large"));
  }
  const std::int64_t now = clock->now_seconds();
  if (token_cache) {
    if (auto hit = token_cache->find(token, now)) {
      stats().verification(Reason::None).inc();
      co_return hit;
    }
  }

  auto jwt = parse_jwt(token, config.max_token_bytes);
  if (!jwt) co_return counted(jwt.error());
  const Issuer* issuer = find_issuer(jwt->unverified_issuer());
  if (issuer == nullptr) co_return counted(make_error(Reason::WrongIssuer, "issuer not accepted"));
  if (auto alg = check_algorithm(*jwt, issuer->config.algorithms); !alg) {
    co_return counted(alg.error());
  }

  auto keys = issuer->cache->keys();
  if (!keys) {
    keys = co_await issuer->cache->refetch();
    if (!keys) {
      co_return counted(
          make_error(Reason::JwksUnavailable, "signing keys not available", Origin::Upstream));
    }
  }
  auto verified = verify_token(*jwt, *keys, issuer->config, config.clock_skew, now);
  if (!verified && verified.error().reason == Reason::UnknownKey) {
    // Maybe the IdP rotated its keys: refetch (rate-limited, shared with other requests).
    issuer->cache->note_kid_miss();
    auto fresh = co_await issuer->cache->refetch();
    if (fresh && fresh != keys) {
      verified = verify_token(*jwt, *fresh, issuer->config, config.clock_skew, now);
    }
  }
  if (!verified) co_return counted(verified.error());

  auto identity = std::make_shared<const Identity>(std::move(*verified));
  stats().verification(Reason::None).inc();
  if (token_cache) token_cache->insert(token, identity, identity->expires_at, now);
  co_return identity;
}

Authenticator::Authenticator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Authenticator::~Authenticator() { stop(); }

std::shared_ptr<Authenticator> Authenticator::create(IdentityConfig config, Fetcher fetcher,
                                                     ClockSharedPtr clock) {
  auto impl = std::make_unique<Impl>();
  impl->clock = clock ? std::move(clock) : system_clock();
  for (const auto& issuer : config.issuers) {
    JwksCacheOptions options;
    options.issuer = issuer.issuer;
    options.jwks_uri = issuer.jwks_uri;
    options.refresh_interval = issuer.refresh_interval;
    options.min_refetch_interval = issuer.min_refetch_interval;
    options.max_jwks_bytes = config.max_jwks_bytes;
    impl->issuers.push_back(
        Impl::Issuer{issuer, JwksCache::create(std::move(options), fetcher, impl->clock)});
  }
  if (config.token_cache_enabled) {
    impl->token_cache = std::make_unique<TokenCache>(config.token_cache_max_entries);
  }
  impl->config = std::move(config);
  stats();  // register the metrics up front, so they show before the first request
  return std::shared_ptr<Authenticator>(new Authenticator(std::move(impl)));
}

net::awaitable<Result<std::shared_ptr<const Identity>>> Authenticator::authenticate(
    std::string_view token) {
  return impl_->authenticate(token);
}

void Authenticator::start(net::any_io_executor executor) {
  for (auto& issuer : impl_->issuers) issuer.cache->start(executor);
}

void Authenticator::stop() {
  for (auto& issuer : impl_->issuers) issuer.cache->stop();
}

bool Authenticator::ready() const noexcept {
  for (const auto& issuer : impl_->issuers) {
    if (!issuer.cache->ready()) return false;
  }
  return true;
}

const IdentityConfig& Authenticator::config() const noexcept { return impl_->config; }

}  // namespace gw::identity

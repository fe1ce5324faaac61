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

  // What is known about a token before its signature is checked.
  struct Parsed {
    Jwt jwt;
    const Issuer* issuer = nullptr;
  };
  Result<Parsed> parse(std::string_view token) const;
  IdentityResult finish(std::string_view token, Result<Identity> verified, std::int64_t now);

  std::optional<IdentityResult> try_authenticate(std::string_view token);
  net::awaitable<IdentityResult> authenticate(std::string_view token);
};

namespace {

Error counted(Error error) {
  stats().verification(error.reason).inc();
  return error;
}

}  // namespace

Result<Authenticator::Impl::Parsed> Authenticator::Impl::parse(std::string_view token) const {
  if (token.empty()) return counted(make_error(Reason::MissingToken, "no bearer token"));
  if (token.size() > config.max_token_bytes) {
    return counted(make_error(Reason::MalformedToken, "token too large"));
  }
  auto jwt = parse_jwt(token, config.max_token_bytes);
  if (!jwt) return counted(jwt.error());
  const Issuer* issuer = find_issuer(jwt->unverified_issuer());
  if (issuer == nullptr) return counted(make_error(Reason::WrongIssuer, "issuer not accepted"));
  if (auto alg = check_algorithm(*jwt, issuer->config.algorithms); !alg) {
    return counted(alg.error());
  }
  return Parsed{std::move(*jwt), issuer};
}

IdentityResult Authenticator::Impl::finish(std::string_view token, Result<Identity> verified,
                                           std::int64_t now) {
  if (!verified) return counted(verified.error());
  auto identity = std::make_shared<const Identity>(std::move(*verified));
  stats().verification(Reason::None).inc();
  if (token_cache) token_cache->insert(token, identity, identity->expires_at, now);
  return identity;
}

std::optional<IdentityResult> Authenticator::Impl::try_authenticate(std::string_view token) {
  const std::int64_t now = clock->now_seconds();
  if (token_cache && !token.empty() && token.size() <= config.max_token_bytes) {
    if (auto hit = token_cache->find(token, now)) {
      stats().verification(Reason::None).inc();
      return hit;
    }
  }
  auto parsed = parse(token);
  if (!parsed) return IdentityResult(parsed.error());
  auto keys = parsed->issuer->cache->keys();
  if (!keys) return std::nullopt;  // never fetched yet: authenticate() waits for them
  auto verified = verify_token(parsed->jwt, *keys, parsed->issuer->config, config.clock_skew, now);
  if (!verified && verified.error().reason == Reason::UnknownKey) return std::nullopt;
  return finish(token, std::move(verified), now);
}

net::awaitable<IdentityResult> Authenticator::Impl::authenticate(std::string_view token) {
  if (auto done = try_authenticate(token)) co_return std::move(*done);
  // The issuer's keys were never fetched, or the token names a key they lack.
  const std::int64_t now = clock->now_seconds();
  auto parsed = parse(token);
  if (!parsed) co_return parsed.error();
  const Issuer* issuer = parsed->issuer;
  auto keys = issuer->cache->keys();
  if (!keys) {
    keys = co_await issuer->cache->refetch();
    if (!keys) {
      co_return counted(
          make_error(Reason::JwksUnavailable, "signing keys not available", Origin::Upstream));
    }
  }
  auto verified = verify_token(parsed->jwt, *keys, issuer->config, config.clock_skew, now);
  if (!verified && verified.error().reason == Reason::UnknownKey) {
    // Maybe the IdP rotated its keys: refetch (rate-limited, shared with other requests).
    issuer->cache->note_kid_miss();
    auto fresh = co_await issuer->cache->refetch();
    if (fresh && fresh != keys) {
      verified = verify_token(parsed->jwt, *fresh, issuer->config, config.clock_skew, now);
    }
  }
  co_return finish(token, std::move(verified), now);
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

net::awaitable<IdentityResult> Authenticator::authenticate(std::string_view token) {
  return impl_->authenticate(token);
}

std::optional<IdentityResult> Authenticator::try_authenticate(std::string_view token) {
  return impl_->try_authenticate(token);
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

std::vector<std::string> Authenticator::issuers_without_keys() const {
  std::vector<std::string> missing;
  for (const auto& issuer : impl_->issuers) {
    if (!issuer.cache->ready()) missing.push_back(issuer.config.issuer);
  }
  return missing;
}

const IdentityConfig& Authenticator::config() const noexcept { return impl_->config; }

}  // namespace gw::identity

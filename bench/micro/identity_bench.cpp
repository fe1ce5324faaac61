// What verifying a bearer token costs: the RS256 signature check alone, the whole
// Authenticator::authenticate with the token cache off (parse, alg/key checks, signature,
// claims, identity mapping) and on (a cache hit), and the token's SHA-256.
//   ./build/release/bench/gw_identity_bench
// Each authenticate iteration also runs a coroutine on an io_context (about a microsecond).
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>

#include "crypto/crypto.hpp"
#include "identity/fake_idp.hpp"
#include "identity/identity.hpp"
#include "support/async_test.hpp"
#include "support/manual_clock.hpp"
#include "support/test_tokens.hpp"

namespace {

constexpr const char* kJwksUri = "https://idp.test/jwks";

struct Setup {
  explicit Setup(bool cache) {
    gw::identity::IssuerConfig issuer;
    issuer.issuer = idp.issuer;
    issuer.jwks_uri = kJwksUri;
    issuer.audiences = {"api://gateway"};
    config.issuers.push_back(issuer);
    config.token_cache_enabled = cache;
    fake.serve(kJwksUri, idp.jwks());
    auth = gw::identity::Authenticator::create(config, fake.fetcher(), clock);
    auto claims = idp.claims("alice", "api://gateway", clock->now_seconds(), 3600);
    claims["scope"] = "calendar:read calendar:write";
    claims["email"] = "alice@example.com";
    token = idp.mint(claims);
    if (!authenticate()) throw std::runtime_error("the benchmark token does not verify");
  }
  bool authenticate() {
    return static_cast<bool>(gw::test::run_awaitable(io, auth->authenticate(token)));
  }

  boost::asio::io_context io;
  std::shared_ptr<gw::test::ManualClock> clock = std::make_shared<gw::test::ManualClock>();
  gw::test::FakeIdp fake;
  gw::test::TestIssuer idp;
  gw::identity::IdentityConfig config;
  std::shared_ptr<gw::identity::Authenticator> auth;
  std::string token;
};

void BM_Rs256SignatureOnly(benchmark::State& state) {
  Setup s(false);
  const auto dot = s.token.rfind('.');
  const std::string input = s.token.substr(0, dot);
  const auto signature = gw::crypto::base64url_decode(s.token.substr(dot + 1));
  const auto key = s.idp.key().public_key();
  for (auto _ : state) {
    benchmark::DoNotOptimize(key.verify(gw::crypto::Algorithm::RS256, input, *signature));
  }
}
BENCHMARK(BM_Rs256SignatureOnly);

void BM_AuthenticateTokenCacheOff(benchmark::State& state) {
  Setup s(false);
  for (auto _ : state) benchmark::DoNotOptimize(s.authenticate());
}
BENCHMARK(BM_AuthenticateTokenCacheOff);

void BM_AuthenticateTokenCacheHit(benchmark::State& state) {
  Setup s(true);
  for (auto _ : state) benchmark::DoNotOptimize(s.authenticate());
}
BENCHMARK(BM_AuthenticateTokenCacheHit);

void BM_TokenSha256(benchmark::State& state) {
  Setup s(false);
  for (auto _ : state) benchmark::DoNotOptimize(gw::crypto::sha256(s.token));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.token.size()));
}
BENCHMARK(BM_TokenSha256);

}  // namespace

BENCHMARK_MAIN();

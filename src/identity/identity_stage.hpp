#pragma once

// The identity stage: Authorization header -> ctx.identity, or a 401/503 rejection.

#include <optional>
#include <string_view>

#include "core/stage.hpp"
#include "identity/identity.hpp"

namespace gw::identity {

// The Bearer credential of an Authorization header value. nullopt: not the Bearer scheme (the
// request carries no bearer token); an empty view: Bearer with a missing or malformed token.
std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept;

class IdentityStage final : public Stage {
 public:
  explicit IdentityStage(AuthenticatorSharedPtr authenticator)
      : authenticator_(std::move(authenticator)) {}

  std::string_view name() const noexcept override { return "identity"; }
  Phase phase() const noexcept override { return Phase::Identity; }
  net::awaitable<Verdict> on_request(RequestContext& ctx) override;
  std::optional<Verdict> decide_now(RequestContext& ctx) override;

 private:
  // The verdict when the request is settled before any token check (public route, missing or
  // malformed credentials); otherwise nullopt with `token` set.
  std::optional<Verdict> read_token(RequestContext& ctx, std::string_view& token) const;
  Verdict accept(RequestContext& ctx, IdentityResult identity) const;
  Verdict reject(RequestContext& ctx, Reason reason, std::string detail) const;

  AuthenticatorSharedPtr authenticator_;
};

}  // namespace gw::identity

#include "identity/identity_stage.hpp"

#include <algorithm>

#include "core/strings.hpp"
#include "identity/stats.hpp"

namespace gw::identity {
namespace {

constexpr std::string_view kAuthorization = "Authorization";

// Short, fixed texts: never derived from the token, so always safe inside a quoted-string.
std::string_view describe(Reason reason) noexcept {
  switch (reason) {
    case Reason::MalformedToken:
      return "malformed token";
    case Reason::UnsupportedAlgorithm:
      return "signing algorithm not accepted";
    case Reason::UnknownKey:
      return "signing key not known";
    case Reason::BadSignature:
      return "invalid signature";
    case Reason::TokenExpired:
      return "token expired";
    case Reason::TokenNotYetValid:
      return "token not yet valid";
    case Reason::TokenIssuedInFuture:
      return "token issued in the future";
    case Reason::WrongIssuer:
      return "issuer not accepted";
    case Reason::WrongAudience:
      return "audience not accepted";
    case Reason::MissingSubject:
      return "subject missing";
    case Reason::InvalidClaims:
      return "invalid claims";
    case Reason::UnsupportedCritical:
      return "critical header not supported";
    default:
      return "invalid token";
  }
}

bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }

}  // namespace

std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept {
  const std::string_view value = trim(authorization);
  std::size_t end = 0;
  while (end < value.size() && !is_space(value[end])) ++end;
  if (!iequals(value.substr(0, end), "Bearer")) return std::nullopt;
  std::string_view token = trim(value.substr(end));
  // memchr-based: tokens are long and this runs on every request.
  if (token.find(' ') != std::string_view::npos || token.find('\t') != std::string_view::npos) {
    return std::string_view{};
  }
  return token;
}

namespace {

// RFC 8707 resource indicators compare as URLs; a trailing slash is tolerated either way.
bool same_resource(std::string_view a, std::string_view b) noexcept {
  if (!a.empty() && a.back() == '/') a.remove_suffix(1);
  if (!b.empty() && b.back() == '/') b.remove_suffix(1);
  return a == b;
}

}  // namespace

std::string www_authenticate(const IdentityConfig& config, Reason reason, bool is_mcp_route,
                             std::string_view resource_metadata) {
  if (status(reason) != 401) return {};
  std::string value = "Bearer realm=\"" + config.realm + "\"";
  if (reason != Reason::MissingToken) {
    value += ", error=\"invalid_token\", error_description=\"";
    value += describe(reason);
    value += "\"";
  }
  if (is_mcp_route && !resource_metadata.empty()) {
    value += ", resource_metadata=\"";
    value += resource_metadata;
    value += "\"";
  }
  return value;
}

Verdict IdentityStage::reject(RequestContext& ctx, Reason reason, std::string detail) const {
  // The route stage may not have run yet; then MCP clients still get resource_metadata.
  const bool is_mcp = !ctx.route || ctx.route->kind == ApiKind::Mcp;
  const auto& config = authenticator_->config();
  const std::string_view metadata = ctx.route && !ctx.route->resource_metadata.empty()
                                        ? std::string_view(ctx.route->resource_metadata)
                                        : std::string_view(config.resource_metadata);
  auto header = www_authenticate(config, reason, is_mcp, metadata);
  if (!header.empty()) ctx.response_headers.emplace_back("WWW-Authenticate", std::move(header));
  return Verdict::reject(reason, std::move(detail));
}

std::optional<Verdict> IdentityStage::read_token(RequestContext& ctx,
                                                 std::string_view& token) const {
  if (ctx.route && ctx.route->is_public) return Verdict::proceed();
  const std::size_t count = ctx.header_count(kAuthorization);
  if (count == 0) {
    stats().verification(Reason::MissingToken).inc();
    return reject(ctx, Reason::MissingToken, "bearer token required");
  }
  if (count > 1) {
    stats().verification(Reason::MalformedToken).inc();
    return reject(ctx, Reason::MalformedToken, "more than one Authorization header");
  }
  const auto bearer = bearer_token(ctx.header(kAuthorization));
  if (!bearer) {
    stats().verification(Reason::MissingToken).inc();
    return reject(ctx, Reason::MissingToken, "bearer token required");
  }
  if (bearer->empty()) {
    stats().verification(Reason::MalformedToken).inc();
    return reject(ctx, Reason::MalformedToken, "malformed Authorization header");
  }
  token = *bearer;
  return std::nullopt;
}

Verdict IdentityStage::accept(RequestContext& ctx, IdentityResult identity) const {
  if (!identity) return reject(ctx, identity.error().reason, std::move(identity.error().detail));
  // RFC 8707: an MCP route accepts only tokens issued for it.
  if (ctx.route && ctx.route->kind == ApiKind::Mcp && !ctx.route->resource.empty()) {
    const auto& audiences = (*identity)->audiences;
    const bool bound = std::any_of(audiences.begin(), audiences.end(), [&](const std::string& a) {
      return same_resource(a, ctx.route->resource);
    });
    if (!bound) {
      stats().verification(Reason::WrongAudience).inc();
      return reject(ctx, Reason::WrongAudience,
                    "the token's audience does not include " + ctx.route->resource);
    }
  }
  ctx.identity = std::move(*identity);
  return Verdict::proceed();
}

std::optional<Verdict> IdentityStage::decide_now(RequestContext& ctx) {
  std::string_view token;
  if (auto early = read_token(ctx, token)) return early;
  auto identity = authenticator_->try_authenticate(token);
  if (!identity) return std::nullopt;
  return accept(ctx, std::move(*identity));
}

net::awaitable<Verdict> IdentityStage::on_request(RequestContext& ctx) {
  std::string_view token;
  if (auto early = read_token(ctx, token)) co_return std::move(*early);
  auto identity = co_await authenticator_->authenticate(token);
  co_return accept(ctx, std::move(identity));
}

StagePtr make_stage(AuthenticatorSharedPtr authenticator) {
  return std::make_unique<IdentityStage>(std::move(authenticator));
}

}  // namespace gw::identity

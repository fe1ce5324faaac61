#include <algorithm>

#include "route/route.hpp"

namespace gw::route {
namespace {

class MatchStage final : public Stage {
 public:
  explicit MatchStage(RouteConfigConstSharedPtr config) : config_(std::move(config)) {}
  std::string_view name() const noexcept override { return "route"; }
  Phase phase() const noexcept override { return Phase::Route; }

  net::awaitable<Verdict> on_request(RequestContext& ctx) override { co_return decide(ctx); }
  std::optional<Verdict> decide_now(RequestContext& ctx) override { return decide(ctx); }

 private:
  Verdict decide(RequestContext& ctx) const {
    auto target = normalize_target(ctx.target);
    if (!target) return Verdict::reject(target.error().reason, target.error().detail);
    auto matched = match_target(*config_, *target);
    ctx.path = std::move(target->path);
    ctx.query = std::move(target->query);
    if (!matched) return Verdict::reject(matched.error().reason, matched.error().detail);
    const Route* route = *matched;
    if (route == nullptr) return Verdict::reject(Reason::NoRoute, "no route for " + ctx.path);
    if (!route->methods.empty() && std::find(route->methods.begin(), route->methods.end(),
                                             ctx.method) == route->methods.end()) {
      return Verdict::reject(Reason::MethodNotAllowed,
                             ctx.method + " is not allowed on route " + route->name);
    }
    RouteMatch m;
    m.name = route->name;
    m.upstream = route->upstream;
    m.kind = route->kind;
    m.is_public = route->is_public;
    m.resource = route->resource;
    m.resource_metadata = route->resource_metadata;
    std::string_view path = ctx.path;
    if (route->strip_prefix && route->prefix != "/") {
      path.remove_prefix(route->prefix.size());
      if (path.empty()) path = "/";
    }
    m.upstream_target = encode_path(path);
    if (!ctx.query.empty()) m.upstream_target += "?" + ctx.query;
    ctx.route = std::move(m);
    return Verdict::proceed();
  }

  RouteConfigConstSharedPtr config_;
};

class BodyStage final : public Stage {
 public:
  explicit BodyStage(RouteConfigConstSharedPtr config) : config_(std::move(config)) {}
  std::string_view name() const noexcept override { return "route_body"; }
  Phase phase() const noexcept override { return Phase::Route; }

  bool needs_body(const RequestContext& ctx) const noexcept override {
    return ctx.route && ctx.route->kind != ApiKind::Generic && ctx.method == "POST";
  }

  net::awaitable<Verdict> on_request(RequestContext& ctx) override { co_return decide(ctx); }
  std::optional<Verdict> decide_now(RequestContext& ctx) override { return decide(ctx); }

 private:
  Verdict decide(RequestContext& ctx) const {
    if (!ctx.route || !needs_body(ctx)) return Verdict::proceed();
    const Route* route = nullptr;
    for (const auto& r : config_->routes) {
      if (r.name == ctx.route->name) route = &r;
    }
    if (route == nullptr) return Verdict::proceed();
    auto sniffed = sniff_body(*route, ctx);
    if (!sniffed) return Verdict::reject(sniffed.error().reason, sniffed.error().detail);
    return Verdict::proceed();
  }

  RouteConfigConstSharedPtr config_;
};

}  // namespace

StagePtr make_match_stage(RouteConfigConstSharedPtr config) {
  return std::make_unique<MatchStage>(std::move(config));
}

StagePtr make_body_stage(RouteConfigConstSharedPtr config) {
  return std::make_unique<BodyStage>(std::move(config));
}

}  // namespace gw::route

// Cost of one policy decision (gw::policy::evaluate) with 1 and 1,000 rules, exact and glob.
//   ./build/release/bench/gw_policy_bench
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "policy/policy.hpp"
#include "policy/policy_stage.hpp"

namespace {

using gw::ApiKind;
using gw::Identity;
using gw::policy::PolicyConfig;
using gw::policy::PolicyRequest;
using gw::policy::Rule;

Rule rule(std::string name) {
  Rule r;
  r.name = "models." + std::move(name);
  r.required_roles = {"doctor", "physician_assistant"};
  r.required_scopes = {"medical:write"};
  return r;
}

// `exact` names "model-<i>" and `globs` patterns "family-<i>-*", plus the seed's rule.
std::shared_ptr<const PolicyConfig> make_config(int exact, int globs) {
  auto config = std::make_shared<PolicyConfig>();
  config->models.add("gpt-4-medical", rule("gpt-4-medical"));
  for (int i = 0; i < exact; ++i) {
    const std::string key = "model-" + std::to_string(i);
    config->models.add(key, rule(key));
  }
  for (int i = 0; i < globs; ++i) {
    const std::string key = "family-" + std::to_string(i) + "-*";
    config->models.add(key, rule(key));
  }
  config->compile();
  return config;
}

Identity doctor() {
  Identity id;
  id.user_id = "u1";
  id.roles = {"staff", "doctor"};
  id.scopes = {"openid", "profile", "medical:read", "medical:write"};
  return id;
}

void run(benchmark::State& state, const PolicyConfig& config, std::string model,
         gw::Decision expected) {
  const Identity id = doctor();
  PolicyRequest request;
  request.route = "chat";
  request.kind = ApiKind::OpenAI;
  request.model = model;
  request.upstream_model = model;
  for (auto _ : state) {
    auto e = gw::policy::evaluate(config, &id, request);
    benchmark::DoNotOptimize(e);
  }
  if (gw::policy::evaluate(config, &id, request).decision != expected) {
    state.SkipWithError("unexpected decision");
  }
}

void BM_OneRule(benchmark::State& state) {
  auto config = make_config(0, 0);
  run(state, *config, "gpt-4-medical", gw::Decision::Allow);
}
BENCHMARK(BM_OneRule);

void BM_ThousandExact(benchmark::State& state) {
  auto config = make_config(1000, 0);
  run(state, *config, "model-537", gw::Decision::Allow);
}
BENCHMARK(BM_ThousandExact);

void BM_ThousandExactUnknownModel(benchmark::State& state) {
  auto config = make_config(1000, 0);
  run(state, *config, "model-5370", gw::Decision::Deny);
}
BENCHMARK(BM_ThousandExactUnknownModel);

void BM_ThousandGlob(benchmark::State& state) {
  auto config = make_config(0, 1000);
  run(state, *config, "family-537-large-2025-01-01", gw::Decision::Allow);
}
BENCHMARK(BM_ThousandGlob);

void BM_ThousandGlobNoMatch(benchmark::State& state) {
  auto config = make_config(0, 1000);
  run(state, *config, "family-5370", gw::Decision::Deny);
}
BENCHMARK(BM_ThousandGlobNoMatch);

void BM_FiveHundredEachGlobHit(benchmark::State& state) {
  auto config = make_config(500, 500);
  run(state, *config, "family-250-large", gw::Decision::Allow);
}
BENCHMARK(BM_FiveHundredEachGlobHit);

// Worst case for the prefix index: every glob starts with `*`, so each is tried in turn.
void BM_ThousandLeadingStarGlobs(benchmark::State& state) {
  auto config = std::make_shared<PolicyConfig>();
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "*-v" + std::to_string(i);
    config->models.add(key, rule(key));
  }
  config->compile();
  run(state, *config, "custom-model-v999", gw::Decision::Allow);
}
BENCHMARK(BM_ThousandLeadingStarGlobs);

// The whole request hook: evaluation plus recording the decision in the context and counting
// it (a denial also builds its JSON body).
void BM_StageDecide(benchmark::State& state) {
  gw::metrics::Registry registry;
  gw::policy::PolicyStage stage(make_config(1000, 0), registry);
  auto id = std::make_shared<const Identity>(doctor());
  auto nurse = std::make_shared<Identity>(doctor());
  nurse->roles = {"nurse"};
  gw::RequestContext ctx;
  ctx.route =
      gw::RouteMatch{"chat", "openai", ApiKind::OpenAI, "/v1/chat/completions", false, {}, {}};
  ctx.model = gw::ModelRequest{"model-537", "model-537", false, std::nullopt};
  ctx.identity = state.range(0) == 0 ? id : std::shared_ptr<const Identity>(nurse);
  for (auto _ : state) {
    ctx.response_headers.clear();
    auto verdict = stage.decide(ctx);
    benchmark::DoNotOptimize(verdict);
  }
  state.SetLabel(state.range(0) == 0 ? "allow" : "deny role_missing");
}
BENCHMARK(BM_StageDecide)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();

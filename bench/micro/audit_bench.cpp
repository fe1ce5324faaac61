// What one audit record costs the writer: building the entry from a request (a new entry, or
// packed into a queue slot as the I/O thread does, and unpacked by the writer), chaining it
// (canonical encoding + SHA-256), and chaining and storing it in SQLite in batches of 256
// (best_effort: full batches of batch_max), 17 (about what fail_closed commits per transaction
// under load) and 1, and storing alone (chain:0, entries chained beforehand: what SQLite itself
// costs per row); CPU time per record = CPU / batch size (items_per_second). SQLite: commit only,
// the disk flush is measured by bench/load/audit.sh, not here.
//   ./build/release/bench/gw_audit_bench
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "audit/chain.hpp"
#include "audit/record.hpp"
#include "audit/sink.hpp"

namespace {

gw::RequestContext sample_request() {
  gw::RequestContext ctx;
  ctx.request_id = "4f1c2a9b7e6d5c4b3a2918f7e6d5c4b3";
  ctx.client_address = "192.0.2.10";
  ctx.method = "POST";
  ctx.target = "/v1/chat/completions";
  ctx.path = ctx.target;
  gw::RouteMatch route;
  route.name = "openai";
  route.upstream = "openai";
  ctx.route = route;
  auto id = std::make_shared<gw::Identity>();
  id->user_id = "dr-smith";
  id->email = "dr.smith@hospital.example";
  id->tenant = "st-mary";
  id->roles = {"doctor"};
  ctx.identity = id;
  ctx.status = 200;
  ctx.decision = gw::Decision::Allow;
  ctx.usage.reported = true;
  ctx.usage.input_tokens = 812;
  ctx.usage.output_tokens = 240;
  ctx.body_bytes = 2048;
  ctx.response_bytes = 4096;
  return ctx;
}

void BM_MakeRequestEntry(benchmark::State& state) {
  const auto ctx = sample_request();
  for (auto _ : state) benchmark::DoNotOptimize(gw::audit::make_request_entry(ctx));
}
BENCHMARK(BM_MakeRequestEntry);

// Packed into a reused queue slot, as the I/O thread does.
void BM_PackRequest(benchmark::State& state) {
  const auto ctx = sample_request();
  gw::audit::PackedRecord record;
  for (auto _ : state) {
    gw::audit::pack_request(ctx, record);
    benchmark::DoNotOptimize(record);
  }
}
BENCHMARK(BM_PackRequest);

// Unpacked into a reused sink slot, as the writer does.
void BM_UnpackRecord(benchmark::State& state) {
  gw::audit::PackedRecord record;
  gw::audit::pack_request(sample_request(), record);
  gw::audit::Entry entry;
  for (auto _ : state) {
    record.unpack(entry);
    benchmark::DoNotOptimize(entry);
  }
}
BENCHMARK(BM_UnpackRecord);

void BM_CanonicalEncoding(benchmark::State& state) {
  auto entry = gw::audit::make_request_entry(sample_request());
  gw::audit::Chain chain("bench", gw::audit::Head{});
  chain.append(entry);
  std::vector<char> buffer;
  for (auto _ : state) benchmark::DoNotOptimize(gw::audit::canonical_encoding(entry, buffer));
}
BENCHMARK(BM_CanonicalEncoding);

void BM_ChainAppend(benchmark::State& state) {
  const auto entry = gw::audit::make_request_entry(sample_request());
  gw::audit::Chain chain("bench", gw::audit::Head{});
  for (auto _ : state) {
    auto e = entry;
    chain.append(e);
    benchmark::DoNotOptimize(e.hash);
  }
}
BENCHMARK(BM_ChainAppend);

// A signed checkpoint (every checkpoint_every records): with the key id computed once, as the
// writer does (arg 0), and derived from the key each time (arg 1).
void BM_MakeCheckpoint(benchmark::State& state) {
  const auto key = gw::crypto::PrivateKey::generate(gw::crypto::Algorithm::EdDSA);
  const std::string key_id = key.public_key().thumbprint();
  gw::audit::Chain chain("bench", gw::audit::Head{});
  for (auto _ : state) {
    if (state.range(0) == 0) {
      benchmark::DoNotOptimize(gw::audit::make_checkpoint(chain, key, key_id, "periodic", 0));
    } else {
      benchmark::DoNotOptimize(gw::audit::make_checkpoint(chain, key, "periodic", 0));
    }
  }
}
BENCHMARK(BM_MakeCheckpoint)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_SqliteCommitPerRecord(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path() / "gw-audit-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  gw::audit::SqliteConfig config;
  config.path = (dir / "audit.sqlite").string();
  auto sink = gw::audit::make_sqlite_sink(config);
  auto head = sink->open("bench");
  if (!head) {
    state.SkipWithError("cannot open the SQLite sink");
    return;
  }
  gw::audit::Chain chain("bench", *head);
  const auto entry = gw::audit::make_request_entry(sample_request());
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  std::vector<gw::audit::Entry> batch(batch_size, entry);
  // Arg 1 = 0: the entries are chained once, and each iteration only stores them (SQLite's own
  // cost per row: binding, B-tree insert, WAL frames, its checkpoints); the rows repeat sequence
  // numbers, which the table does not constrain.
  const bool chain_each_time = state.range(1) != 0;
  for (auto& e : batch) chain.append(e);
  for (auto _ : state) {
    if (chain_each_time) {
      for (auto& e : batch) chain.append(e);
    }
    if (!sink->commit(batch)) state.SkipWithError("commit failed");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch_size));
  sink.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SqliteCommitPerRecord)
    ->ArgNames({"batch", "chain"})
    ->ArgsProduct({{256, 17, 1}, {1, 0}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

#include "cli/audit_command.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "audit/audit.hpp"
#include "core/config_reader.hpp"

namespace gw::cli {

namespace {

struct VerifyArgs {
  std::string sqlite, jsonl, postgres, public_key;
};

struct QueryArgs {
  std::string sqlite, postgres, user, model, decision, since, format = "table";
  std::int64_t limit = 100;
};

[[noreturn]] void finish(int code) {
  std::cout.flush();
  if (code == 0) throw CLI::Success();
  throw CLI::RuntimeError(code);
}

void run_verify(const VerifyArgs& args) {
  std::string pem;
  if (!args.public_key.empty()) {
    std::ifstream in(args.public_key, std::ios::binary);
    if (!in) {
      std::cerr << "audit verify: cannot read " << args.public_key << "\n";
      finish(2);
    }
    std::ostringstream text;
    text << in.rdbuf();
    pem = text.str();
  }
  audit::VerifyReport report;
  if (!args.sqlite.empty()) {
    report = audit::verify_sqlite(args.sqlite, pem);
  } else if (!args.jsonl.empty()) {
    report = audit::verify_jsonl(args.jsonl, pem);
  } else {
    report = audit::verify_postgres(args.postgres, pem);
  }
  if (report.ok) {
    std::cout << "OK: " << report.records << " records, " << report.checkpoints << " checkpoints, "
              << report.instances << " instance(s); ";
    if (report.signatures_checked) {
      std::cout << "checkpoint signatures verified";
    } else {
      std::cout << "checkpoint signatures NOT checked (no --public-key)";
    }
    if (report.unsigned_tail > 0) {
      std::cout << "; " << report.unsigned_tail
                << " record(s) after the last checkpoint are hash-chained only";
    }
    std::cout << "\n";
    finish(0);
  }
  if (report.problem == "unreadable") {
    std::cerr << "audit verify: " << report.message << "\n";
    finish(2);
  }
  std::cout << "FAILED: " << report.message << "\n"
            << "problem=" << report.problem << " instance=" << report.instance_id
            << " seq=" << report.seq << " position=" << report.position << "\n";
  finish(1);
}

void run_query(const QueryArgs& args) {
  audit::QueryOptions options;
  options.user = args.user;
  options.model = args.model;
  options.decision = args.decision;
  options.limit = args.limit;
  if (!args.since.empty()) {
    auto d = config::parse_duration(args.since);
    if (!d) {
      std::cerr << "audit query: --since expects a duration such as 15m, 1h or 2d\n";
      finish(2);
    }
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    options.since_ms = (now - *d).count();
  }
  auto rows = !args.postgres.empty() ? audit::query_postgres(args.postgres, options)
                                     : audit::query_sqlite(args.sqlite, options);
  if (!rows) {
    std::cerr << "audit query: " << rows.error().detail << "\n";
    finish(2);
  }
  std::cout << audit::format_rows(*rows, args.format);
  finish(0);
}

}  // namespace

void add_audit_commands(CLI::App& app) {
  auto* audit = app.add_subcommand("audit", "Inspect and verify the audit log");
  audit->require_subcommand(1);

  auto verify_args = std::make_shared<VerifyArgs>();
  auto* verify = audit->add_subcommand(
      "verify", "Check the hash chain and checkpoint signatures; non-zero exit on tampering");
  auto* group = verify->add_option_group("source");
  group->add_option("--sqlite", verify_args->sqlite, "SQLite audit file");
  group->add_option("--jsonl", verify_args->jsonl, "JSON Lines audit file (rotated files too)");
  group->add_option("--postgres", verify_args->postgres, "PostgreSQL connection URL");
  group->require_option(1);
  verify->add_option("--public-key", verify_args->public_key,
                     "Ed25519 public key PEM to check checkpoint signatures");
  verify->callback([verify_args] { run_verify(*verify_args); });

  auto query_args = std::make_shared<QueryArgs>();
  auto* query = audit->add_subcommand("query", "List request records, newest first");
  auto* qgroup = query->add_option_group("source");
  qgroup->add_option("--sqlite", query_args->sqlite, "SQLite audit file");
  qgroup->add_option("--postgres", query_args->postgres, "PostgreSQL connection URL");
  qgroup->require_option(1);
  query->add_option("--user", query_args->user, "user id or email");
  query->add_option("--model", query_args->model, "model or MCP tool");
  query->add_option("--decision", query_args->decision, "allow | deny | shadow_deny")
      ->check(CLI::IsMember({"allow", "deny", "shadow_deny", "none"}));
  query->add_option("--since", query_args->since, "only records newer than this (e.g. 1h)");
  query->add_option("--limit", query_args->limit, "at most this many rows")
      ->check(CLI::Range(1, 1'000'000));
  query->add_option("--format", query_args->format, "table | json | csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  query->callback([query_args] { run_query(*query_args); });
}

}  // namespace gw::cli

#include <boost/asio/use_awaitable.hpp>

#include "audit/audit_log_impl.hpp"

namespace gw::audit {

namespace {

// Packs the request's record into a queue slot.
auto fill_for(const RequestContext& ctx, const Completion& done) {
  return
      [&ctx, &done](PackedRecord& record) { pack_request(ctx, record, done.status, done.reason); };
}

class AuditStage final : public Stage {
 public:
  explicit AuditStage(AuditLogSharedPtr log) : log_(std::move(log)) {}

  std::string_view name() const noexcept override { return "audit"; }

  // Opens the record. fail_closed: a request whose record could not be taken is refused.
  net::awaitable<Verdict> on_request(RequestContext& ctx) override { co_return open(ctx); }
  std::optional<Verdict> decide_now(RequestContext& ctx) override { return open(ctx); }

  bool has_finishing() const noexcept override { return log_->mode() == Mode::FailClosed; }

  // fail_closed: the response ends only once its record is durable in every sink.
  net::awaitable<void> on_finishing(RequestContext& ctx, const Completion& done) override {
    if (log_->mode() != Mode::FailClosed || ctx.audit_state == AuditState::Submitted ||
        ctx.builtin) {
      co_return;
    }
    bool reserved = ctx.audit_state == AuditState::Opened;
    ctx.audit_state = AuditState::Submitted;
    co_await log_->impl().async_emplace(fill_for(ctx, done), reserved, net::use_awaitable);
  }

  // best_effort: hands the record over without waiting (final sizes and timings known).
  void on_complete(RequestContext& ctx, const Completion& done) noexcept override {
    // The gateway's own endpoints (health probes, JWKS, metrics) are not audited.
    if (ctx.audit_state == AuditState::Submitted || ctx.builtin) return;
    bool reserved = ctx.audit_state == AuditState::Opened && log_->mode() == Mode::FailClosed;
    ctx.audit_state = AuditState::Submitted;
    try {
      log_->impl().emplace(fill_for(ctx, done), reserved);
    } catch (...) {
      log_->impl().note_drop(1, "out of memory");
    }
  }

 private:
  Verdict open(RequestContext& ctx) const {
    if (log_->mode() == Mode::FailClosed && !log_->impl().try_reserve()) {
      return Verdict::reject(Reason::AuditUnavailable, "audit log unavailable");
    }
    ctx.audit_state = AuditState::Opened;
    return Verdict::proceed();
  }

  AuditLogSharedPtr log_;
};

}  // namespace

StagePtr make_stage(AuditLogSharedPtr log) { return std::make_unique<AuditStage>(std::move(log)); }

}  // namespace gw::audit

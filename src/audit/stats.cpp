#include "audit/stats.hpp"

namespace gw::audit {

metrics::Counter& Stats::written(const std::string& sink) {
  return metrics::Registry::global().counter("gw_audit_records_written_total",
                                             "Audit entries durably written, per sink",
                                             {{"sink", sink}});
}

metrics::Counter& Stats::write_errors(const std::string& sink) {
  return metrics::Registry::global().counter("gw_audit_write_errors_total",
                                             "Failed audit batch writes or syncs, per sink",
                                             {{"sink", sink}});
}

metrics::Counter& Stats::batches(const std::string& sink) {
  return metrics::Registry::global().counter(
      "gw_audit_batches_written_total",
      "Audit batches durably written (one transaction / sync each), per sink", {{"sink", sink}});
}

Stats& Stats::global() {
  auto& r = metrics::Registry::global();
  static Stats stats{
      r.gauge("gw_audit_queue_depth", "Audit records waiting for the writer thread"),
      r.gauge("gw_audit_queue_high_water", "Highest audit queue depth since start"),
      r.counter("gw_audit_dropped_total", "Audit records dropped (best_effort queue full)"),
      r.counter("gw_audit_checkpoints_total", "Signed audit checkpoints written"),
  };
  return stats;
}

}  // namespace gw::audit

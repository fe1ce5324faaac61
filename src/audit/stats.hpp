#pragma once

#include <string>

#include "core/metrics.hpp"

namespace gw::audit {

// The audit layer's metrics, registered in metrics::Registry::global().
struct Stats {
  metrics::Gauge& queue_depth;                              // gw_audit_queue_depth
  metrics::Gauge& queue_high_water;                         // gw_audit_queue_high_water
  metrics::Counter& dropped;                                // gw_audit_dropped_total
  metrics::Counter& checkpoints;                            // gw_audit_checkpoints_total
  metrics::Counter& written(const std::string& sink);       // gw_audit_records_written_total{sink}
  metrics::Counter& write_errors(const std::string& sink);  // gw_audit_write_errors_total{sink}
  // gw_audit_batches_written_total{sink}: commits; written / batches = group commit size
  metrics::Counter& batches(const std::string& sink);

  static Stats& global();
};

}  // namespace gw::audit

#pragma once

// What the server records of every request once it is complete: Prometheus metrics and one
// JSON access-log line (logger "access"); the phases' durations.

#include <chrono>
#include <string>

#include "core/request_context.hpp"
#include "core/stage.hpp"

namespace gw::server {

// Metrics and the access-log line of a completed request.
void record_request(const RequestContext& ctx);
// The time a stage's request hook took, into gw_pipeline_phase_duration_seconds.
void observe_phase(const Stage& stage, std::chrono::microseconds d);
// A Server-Timing value with the request phases' durations ("" when none took time).
std::string server_timing(const RequestContext& ctx);

}  // namespace gw::server

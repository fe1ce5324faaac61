#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace gw::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Counters and histograms are striped: each thread adds into a cache line of its own, so worker
// threads counting the same request metric never pass a line back and forth between cores;
// reading sums the stripes. Threads take stripes in turn.
inline constexpr std::size_t kStripes = 8;
std::size_t this_thread_stripe() noexcept;

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept {
    stripes_[this_thread_stripe()].value.fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept;

 private:
  struct alignas(64) Stripe {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<Stripe, kStripes> stripes_;
};

class Gauge {
 public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double v) noexcept;
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative histogram with fixed upper bounds (seconds for latencies), striped like Counter.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value) noexcept;
  std::vector<std::uint64_t> bucket_counts() const;  // cumulative, one per bound, then +Inf
  double sum() const noexcept;
  std::uint64_t count() const noexcept;  // the +Inf bucket: always agrees with bucket_counts()
  const std::vector<double>& bounds() const noexcept { return bounds_; }

 private:
  struct alignas(64) Line {
    std::atomic<std::uint64_t> word[8];
  };
  // Word 0 of a stripe holds the sum's bits, words 1..bounds+1 the buckets.
  std::atomic<std::uint64_t>& word(std::size_t stripe, std::size_t index) const noexcept {
    return lines_[stripe * lines_per_stripe_ + index / 8].word[index % 8];
  }
  std::uint64_t bucket(std::size_t i) const noexcept;  // bucket i (not cumulative), all stripes

  std::vector<double> bounds_;
  std::size_t lines_per_stripe_;
  std::unique_ptr<Line[]> lines_;
};

// Default latency buckets, 100 µs to 30 s.
const std::vector<double>& latency_buckets();

// Process-wide registry rendered as Prometheus text exposition (version 0.0.4). Lookups take
// a mutex: hot paths keep the returned reference (stable for the registry's life).
class Registry {
 public:
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels = {},
                       const std::vector<double>& bounds = latency_buckets());
  std::string render() const;

  static Registry& global();

 private:
  enum class Kind { Counter, Gauge, Histogram };
  struct Family {
    Kind kind;
    std::string help;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(const std::string& name, Kind kind, const std::string& help);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

}  // namespace gw::metrics

#include "core/metrics.hpp"

#include <bit>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace gw::metrics {
namespace {

void atomic_add(std::atomic<double>& target, double v) noexcept {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + v, std::memory_order_relaxed)) {
  }
}

std::string escape_label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_labels(const Labels& labels, const std::string& extra_key = {},
                          const std::string& extra_value = {}) {
  if (labels.empty() && extra_key.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    out += k + "=\"" + escape_label(v) + "\"";
    first = false;
  }
  if (!extra_key.empty()) {
    if (!first) out += ",";
    out += extra_key + "=\"" + extra_value + "\"";
  }
  out += "}";
  return out;
}

std::string format_double(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

void Gauge::add(double v) noexcept { atomic_add(value_, v); }

std::size_t this_thread_stripe() noexcept {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t stripe = next.fetch_add(1, std::memory_order_relaxed) % kStripes;
  return stripe;
}

std::uint64_t Counter::value() const noexcept {
  std::uint64_t total = 0;
  for (const auto& s : stripes_) total += s.value.load(std::memory_order_relaxed);
  return total;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      lines_per_stripe_((bounds_.size() + 2 + 7) / 8),
      lines_(std::make_unique<Line[]>(kStripes * lines_per_stripe_)) {}

void Histogram::observe(double value) noexcept {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  const std::size_t stripe = this_thread_stripe();
  word(stripe, 1 + i).fetch_add(1, std::memory_order_relaxed);
  // Only this stripe's threads add to its sum: the exchange succeeds at once unless another
  // thread shares the stripe.
  auto& sum = word(stripe, 0);
  std::uint64_t bits = sum.load(std::memory_order_relaxed);
  while (!sum.compare_exchange_weak(
      bits, std::bit_cast<std::uint64_t>(std::bit_cast<double>(bits) + value),
      std::memory_order_relaxed)) {
  }
}

std::uint64_t Histogram::bucket(std::size_t i) const noexcept {
  std::uint64_t total = 0;
  for (std::size_t s = 0; s < kStripes; ++s)
    total += word(s, 1 + i).load(std::memory_order_relaxed);
  return total;
}

std::vector<std::uint64_t> Histogram::bucket_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += bucket(i);
    out[i] = running;
  }
  return out;
}

double Histogram::sum() const noexcept {
  double total = 0;
  for (std::size_t s = 0; s < kStripes; ++s) {
    total += std::bit_cast<double>(word(s, 0).load(std::memory_order_relaxed));
  }
  return total;
}

std::uint64_t Histogram::count() const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) total += bucket(i);
  return total;
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> buckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                              0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                              1,      2.5,     5,      10,    30};
  return buckets;
}

Registry& Registry::global() {
  static Registry* registry = new Registry();  // never destroyed: used until exit
  return *registry;
}

Registry::Family& Registry::family(const std::string& name, Kind kind, const std::string& help) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.kind = kind;
    it->second.help = help;
  } else if (it->second.kind != kind) {
    throw std::logic_error("metric " + name + " registered with two kinds");
  }
  return it->second;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, Kind::Counter, help).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, Kind::Gauge, help).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               const Labels& labels, const std::vector<double>& bounds) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, Kind::Histogram, help).histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return *slot;
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, fam] : families_) {
    out += "# HELP " + name + " " + fam.help + "\n";
    switch (fam.kind) {
      case Kind::Counter:
        out += "# TYPE " + name + " counter\n";
        for (const auto& [labels, c] : fam.counters) {
          out += name + format_labels(labels) + " " + std::to_string(c->value()) + "\n";
        }
        break;
      case Kind::Gauge:
        out += "# TYPE " + name + " gauge\n";
        for (const auto& [labels, g] : fam.gauges) {
          out += name + format_labels(labels) + " " + format_double(g->value()) + "\n";
        }
        break;
      case Kind::Histogram:
        out += "# TYPE " + name + " histogram\n";
        for (const auto& [labels, h] : fam.histograms) {
          const auto counts = h->bucket_counts();
          for (std::size_t i = 0; i < counts.size(); ++i) {
            const std::string le =
                i < h->bounds().size() ? format_double(h->bounds()[i]) : std::string("+Inf");
            out += name + "_bucket" + format_labels(labels, "le", le) + " " +
                   std::to_string(counts[i]) + "\n";
          }
          out += name + "_sum" + format_labels(labels) + " " + format_double(h->sum()) + "\n";
          // The +Inf bucket read above, not a second read: the two always agree.
          out +=
              name + "_count" + format_labels(labels) + " " + std::to_string(counts.back()) + "\n";
        }
        break;
    }
  }
  return out;
}

}  // namespace gw::metrics

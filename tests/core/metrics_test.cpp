#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace gw::metrics {
namespace {

// More threads than stripes, so some share one: every addition must still count.
constexpr int kThreads = static_cast<int>(kStripes) + 4;
constexpr int kPerThread = 20000;

TEST(MetricsTest, CounterSumsEveryThreadsAdditions) {
  Counter counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&counter, t] {
      for (int i = 0; i < kPerThread; ++i) counter.inc(static_cast<std::uint64_t>(t % 3 + 1));
    });
  }
  for (auto& t : threads) t.join();
  std::uint64_t expected = 0;
  for (int t = 0; t < kThreads; ++t) expected += static_cast<std::uint64_t>(t % 3 + 1) * kPerThread;
  EXPECT_EQ(counter.value(), expected);
}

TEST(MetricsTest, HistogramCountsSumsAndBucketsFromManyThreads) {
  Histogram h({0.1, 1.0, 10.0});
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < kPerThread; ++i) {
        h.observe(0.05);  // first bucket
        h.observe(1.0);   // on a bound: counted in that bound's bucket (le)
        h.observe(50.0);  // +Inf only
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::uint64_t n = static_cast<std::uint64_t>(kThreads) * kPerThread;
  const auto counts = h.bucket_counts();
  ASSERT_EQ(counts.size(), 4u);
  EXPECT_EQ(counts[0], n);
  EXPECT_EQ(counts[1], 2 * n);
  EXPECT_EQ(counts[2], 2 * n);
  EXPECT_EQ(counts[3], 3 * n);
  EXPECT_EQ(h.count(), 3 * n);
  EXPECT_NEAR(h.sum(), static_cast<double>(n) * 51.05, 1e-6 * static_cast<double>(n) * 51.05);
}

TEST(MetricsTest, HistogramWithManyBoundsKeepsEveryBucketApart) {
  // 17 bounds: a stripe spans three cache lines.
  Histogram h(latency_buckets());
  for (double bound : latency_buckets()) h.observe(bound);
  h.observe(1e9);
  const auto counts = h.bucket_counts();
  ASSERT_EQ(counts.size(), latency_buckets().size() + 1);
  for (std::size_t i = 0; i < counts.size(); ++i) EXPECT_EQ(counts[i], i + 1) << i;
  EXPECT_EQ(h.count(), counts.size());
}

TEST(MetricsTest, RenderedCountMatchesTheInfBucket) {
  Registry registry;
  auto& h = registry.histogram("gw_test_seconds", "test", {{"route", "a"}}, {0.5});
  h.observe(0.25);
  h.observe(2);
  registry.counter("gw_test_total", "test").inc(3);
  const std::string text = registry.render();
  EXPECT_NE(text.find("gw_test_seconds_bucket{route=\"a\",le=\"0.5\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("gw_test_seconds_bucket{route=\"a\",le=\"+Inf\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("gw_test_seconds_count{route=\"a\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("gw_test_seconds_sum{route=\"a\"} 2.25\n"), std::string::npos) << text;
  EXPECT_NE(text.find("gw_test_total 3\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace gw::metrics

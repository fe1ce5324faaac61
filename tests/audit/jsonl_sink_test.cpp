#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fstream>

#include "audit/audit_log_impl.hpp"
#include "audit/test_util.hpp"
#include "support/manual_clock.hpp"

namespace gw::audit {
namespace {

Entry record(int i) {
  Entry e;
  e.kind = "request";
  e.request_id = "r" + std::to_string(i);
  e.user_id = "alice";
  e.status = 200;
  return e;
}

TEST(JsonlSinkTest, RotatesBySizeAndVerifiesAcrossFiles) {
  test::TempDir dir;
  auto clock = std::make_shared<gw::test::ManualClock>();
  JsonlConfig config{dir.file("audit.jsonl"), 1000, std::chrono::hours(24)};
  auto sink = make_jsonl_sink(config, clock);
  auto head = sink->open("gw-1");
  ASSERT_TRUE(head);
  Chain chain("gw-1", *head);
  for (int i = 0; i < 10; ++i) {
    Entry e = record(i);
    chain.append(e);
    ASSERT_TRUE(sink->write(std::span<const Entry>(&e, 1)));
    clock->advance(std::chrono::milliseconds(1));
  }
  auto files = jsonl_files(config.path);
  EXPECT_GE(files.size(), 3u);  // each line is ~700 bytes
  EXPECT_EQ(files.back(), config.path);
  auto report = verify_jsonl(config.path);
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.records, 10u);
}

TEST(JsonlSinkTest, RotatesByAgeWithTheInjectedClock) {
  test::TempDir dir;
  auto clock = std::make_shared<gw::test::ManualClock>();
  JsonlConfig config{dir.file("audit.jsonl"), 1ull << 30, std::chrono::hours(1)};
  auto sink = make_jsonl_sink(config, clock);
  ASSERT_TRUE(sink->open("gw-1"));
  Chain chain("gw-1", Head{});
  Entry a = record(1);
  chain.append(a);
  ASSERT_TRUE(sink->write(std::span<const Entry>(&a, 1)));
  EXPECT_EQ(jsonl_files(config.path).size(), 1u);
  clock->advance(std::chrono::minutes(61));
  Entry b = record(2);
  chain.append(b);
  ASSERT_TRUE(sink->write(std::span<const Entry>(&b, 1)));
  auto files = jsonl_files(config.path);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], config.path + ".20231114T231420000Z");
  EXPECT_TRUE(verify_jsonl(config.path).ok);
}

TEST(JsonlSinkTest, TornLastLineIsDroppedOnOpenAndHeadFound) {
  test::TempDir dir;
  auto clock = std::make_shared<gw::test::ManualClock>();
  JsonlConfig config{dir.file("audit.jsonl")};
  Chain chain("gw-1", Head{});
  {
    auto sink = make_jsonl_sink(config, clock);
    ASSERT_TRUE(sink->open("gw-1"));
    std::vector<Entry> entries;
    for (int i = 0; i < 3; ++i) {
      Entry e = record(i);
      chain.append(e);
      entries.push_back(e);
    }
    ASSERT_TRUE(sink->write(entries));
  }
  std::ofstream(config.path, std::ios::app) << "{\"instance_id\":\"gw-1\",\"se";  // crash
  auto sink = make_jsonl_sink(config, clock);
  auto head = sink->open("gw-1");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, 3);
  EXPECT_EQ(head->hash, chain.head().hash);
  EXPECT_TRUE(verify_jsonl(config.path).ok);
}

// The key mapping: a record whose fields all differ, read back key by key by name.
TEST(JsonlSinkTest, EachFieldIsStoredUnderTheKeyOfItsName) {
  test::TempDir dir;
  auto clock = std::make_shared<gw::test::ManualClock>();
  JsonlConfig config{dir.file("audit.jsonl")};
  auto sink = make_jsonl_sink(config, clock);
  ASSERT_TRUE(sink->open("gw-1"));
  const Entry distinct = test::entry_with_distinct_fields();
  ASSERT_TRUE(sink->write(std::span<const Entry>(&distinct, 1)));
  std::ifstream in(config.path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(line, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(parsed.is_object());
  const boost::json::object& object = parsed.as_object();
  EXPECT_EQ(object.size(), kFieldCount);
  for (const Field& f : fields()) {
    const boost::json::value* value = object.if_contains(f.name);
    ASSERT_NE(value, nullptr) << f.name;
    if (f.number != nullptr) {
      ASSERT_TRUE(value->is_int64()) << f.name;
      EXPECT_EQ(value->as_int64(), test::distinct_number(f.id)) << f.name;
    } else {
      ASSERT_TRUE(value->is_string()) << f.name;
      EXPECT_EQ(value->as_string(), test::distinct_text(f.id)) << f.name;
    }
  }
}

TEST(JsonlSinkTest, EditedLineIsNamed) {
  test::TempDir dir;
  auto clock = std::make_shared<gw::test::ManualClock>();
  JsonlConfig config{dir.file("audit.jsonl")};
  auto sink = make_jsonl_sink(config, clock);
  ASSERT_TRUE(sink->open("gw-1"));
  Chain chain("gw-1", Head{});
  std::vector<Entry> entries;
  for (int i = 0; i < 4; ++i) {
    Entry e = record(i);
    chain.append(e);
    entries.push_back(e);
  }
  ASSERT_TRUE(sink->write(entries));
  std::ifstream in(config.path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto at = text.find("\"r2\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 4, "\"rX\"");
  std::ofstream(config.path, std::ios::trunc) << text;
  auto report = verify_jsonl(config.path);
  EXPECT_EQ(report.problem, "modified");
  EXPECT_EQ(report.seq, 3);
}

}  // namespace
}  // namespace gw::audit

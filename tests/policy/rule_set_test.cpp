#include <gtest/gtest.h>

#include <optional>

#include "policy/glob.hpp"
#include "policy/policy.hpp"

namespace gw::policy {
namespace {

RuleSet make(std::initializer_list<const char*> keys) {
  RuleSet set;
  for (const char* key : keys) {
    Rule rule;
    rule.name = std::string("models.") + key;
    EXPECT_TRUE(set.add(key, std::move(rule)));
  }
  set.compile();
  return set;
}

std::string found(const RuleSet& set, std::string_view name) {
  const Rule* rule = set.find(name);
  return rule == nullptr ? "<none>" : rule->name;
}

TEST(GlobTest, StarMatchesAnyRunAndQuestionMarkExactlyOneCharacter) {
  EXPECT_TRUE(glob_match("gpt-4o*", "gpt-4o"));
  EXPECT_TRUE(glob_match("gpt-4o*", "gpt-4o-mini"));
  EXPECT_FALSE(glob_match("gpt-4o*", "gpt-4"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(glob_match("a*b*c", "aXXbYY"));
  EXPECT_TRUE(glob_match("claude-?-opus", "claude-3-opus"));
  EXPECT_FALSE(glob_match("claude-?-opus", "claude-35-opus"));
  EXPECT_FALSE(glob_match("claude-?-opus", "claude--opus"));
  EXPECT_TRUE(glob_match("*-mini", "gpt-4o-mini"));
  EXPECT_FALSE(glob_match("GPT-*", "gpt-4"));  // case-sensitive
  EXPECT_TRUE(glob_match("a**b", "ab"));
}

TEST(RuleSetTest, ExactNameWinsOverAnyGlob) {
  auto set = make({"gpt-4o*", "*", "gpt-4o-mini", "gpt-4o-m?ni"});
  EXPECT_EQ(found(set, "gpt-4o-mini"), "models.gpt-4o-mini");
}

TEST(RuleSetTest, MostSpecificGlobWinsRegardlessOfOrder) {
  auto set = make({"*", "gpt-*", "gpt-4o*", "*-mini"});
  EXPECT_EQ(found(set, "gpt-4o-mini"), "models.gpt-4o*");  // 6 literals beat 5 ("*-mini")
  EXPECT_EQ(found(set, "gpt-3.5"), "models.gpt-*");
  EXPECT_EQ(found(set, "o1-mini"), "models.*-mini");
  EXPECT_EQ(found(set, "claude"), "models.*");
}

TEST(RuleSetTest, EqualSpecificityPrefersTheLongerPatternThenTheFirstWritten) {
  auto set = make({"a*c", "a**c", "?bc", "ab?"});
  // "a*c", "?bc" and "ab?" all have two literals; "a**c" too but is longer.
  EXPECT_EQ(found(set, "abc"), "models.a**c");
  auto tie = make({"?bc", "ab?"});
  EXPECT_EQ(found(tie, "abc"), "models.?bc");
}

TEST(RuleSetTest, LeadingWildcardGlobsRankWithTheOthers) {
  auto set = make({"*-mini", "gpt-*", "*o-mini", "*4o*", "?pt-4o-mini-*"});
  EXPECT_EQ(found(set, "gpt-4o-mini"), "models.*o-mini");  // 6 literals
  EXPECT_EQ(found(set, "gpt-4o-mini-2024"), "models.?pt-4o-mini-*");
  EXPECT_EQ(found(set, "o1-mini"), "models.*-mini");
  EXPECT_EQ(found(set, "my-4o"), "models.*4o*");
  EXPECT_EQ(found(set, "gpt-3"), "models.gpt-*");
  EXPECT_EQ(found(set, "claude"), "<none>");
}

TEST(RuleSetTest, ThousandLeadingWildcardGlobsFindTheRightOne) {
  RuleSet set;
  for (int i = 0; i < 1000; ++i) {
    Rule rule;
    rule.name = "r" + std::to_string(i);
    set.add("*-v" + std::to_string(i), std::move(rule));
  }
  set.compile();
  EXPECT_EQ(found(set, "custom-model-v999"), "r999");
  EXPECT_EQ(found(set, "x-v9"), "r9");
  EXPECT_EQ(found(set, "-v"), "<none>");
}

TEST(RuleSetTest, CopiesAndMovesOutliveTheOriginal) {
  std::optional<RuleSet> original = make({"a*", "*-b", "exact", "x?y"});
  RuleSet copy = *original;
  RuleSet moved = std::move(*original);
  original.reset();
  for (const RuleSet* set : {&copy, &moved}) {
    EXPECT_EQ(found(*set, "abc"), "models.a*");
    EXPECT_EQ(found(*set, "z-b"), "models.*-b");
    EXPECT_EQ(found(*set, "exact"), "models.exact");
    EXPECT_EQ(found(*set, "xzy"), "models.x?y");
  }
}

TEST(RuleSetTest, NoRuleForAnUnmatchedName) {
  auto set = make({"gpt-4-medical", "claude-*"});
  EXPECT_EQ(found(set, "gpt-4"), "<none>");
  EXPECT_EQ(found(set, "gpt-4-medical-2"), "<none>");
  EXPECT_EQ(found(set, ""), "<none>");
  EXPECT_EQ(found(RuleSet{}, "anything"), "<none>");
}

TEST(RuleSetTest, DuplicateKeysAreRefused) {
  RuleSet set;
  EXPECT_TRUE(set.add("m", Rule{}));
  EXPECT_FALSE(set.add("m", Rule{}));
  EXPECT_EQ(set.size(), 1u);
}

TEST(RuleSetTest, ThousandGlobsFindTheRightOne) {
  RuleSet set;
  for (int i = 0; i < 1000; ++i) {
    Rule rule;
    rule.name = "r" + std::to_string(i);
    set.add("model-" + std::to_string(i) + "-*", std::move(rule));
  }
  set.compile();
  EXPECT_EQ(found(set, "model-537-large"), "r537");
  EXPECT_EQ(found(set, "model-5-x"), "r5");
  EXPECT_EQ(found(set, "model-5"), "<none>");
}

}  // namespace
}  // namespace gw::policy

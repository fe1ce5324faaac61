#include "audit/chain.hpp"

#include <gtest/gtest.h>

namespace gw::audit {
namespace {

const crypto::PrivateKey& signing_key() {
  static const auto key = crypto::PrivateKey::generate(crypto::Algorithm::EdDSA);
  return key;
}

Entry request(const std::string& user) {
  Entry e;
  e.kind = "request";
  e.user_id = user;
  e.decision = "allow";
  e.status = 200;
  return e;
}

// seq 1 segment_start, seq 2..6 requests, seq 7 periodic checkpoint, seq 8..10 requests.
struct Log {
  Chain chain{"gw-1", Head{}};
  std::vector<Entry> entries;

  Log() {
    entries.push_back(make_checkpoint(chain, signing_key(), "segment_start", 1000));
    for (int i = 0; i < 5; ++i) add("user" + std::to_string(i));
    entries.push_back(make_checkpoint(chain, signing_key(), "periodic", 2000));
    for (int i = 5; i < 8; ++i) add("user" + std::to_string(i));
  }
  void add(const std::string& user) {
    Entry e = request(user);
    chain.append(e);
    entries.push_back(e);
  }
  VerifyReport verify(const crypto::PublicKey* key = nullptr) const {
    return verify_entries(entries, key);
  }
};

TEST(ChainTest, IntactChainVerifiesWithCounts) {
  Log log;
  auto key = signing_key().public_key();
  auto report = log.verify(&key);
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.records, 8u);
  EXPECT_EQ(report.checkpoints, 2u);
  EXPECT_EQ(report.instances, 1u);
  EXPECT_EQ(report.unsigned_tail, 3u);
  EXPECT_TRUE(report.signatures_checked);
}

TEST(ChainTest, CheckpointCommitsToHeadAndCount) {
  Log log;
  const Entry& cp = log.entries[6];
  EXPECT_EQ(cp.checkpoint, "periodic");
  EXPECT_EQ(cp.seq, 7);
  EXPECT_EQ(cp.prev_hash, log.entries[5].hash);  // the head it signs
  EXPECT_EQ(cp.key_id, signing_key().public_key().thumbprint());
}

TEST(ChainTest, ModifiedRecordIsNamed) {
  Log log;
  log.entries[3].user_id = "mallory";
  auto report = log.verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "modified");
  EXPECT_EQ(report.seq, 4);
  EXPECT_EQ(report.position, 4u);
}

TEST(ChainTest, ModifiedAndRehashedRecordBreaksTheNextLink) {
  Log log;
  log.entries[3].status = 500;
  log.entries[3].hash = compute_hash(log.entries[3]);
  auto report = log.verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "modified");
  EXPECT_EQ(report.seq, 5);
  EXPECT_NE(report.message.find("seq 4"), std::string::npos) << report.message;
}

TEST(ChainTest, DeletedRecordIsNamed) {
  Log log;
  log.entries.erase(log.entries.begin() + 3);  // seq 4
  auto report = log.verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "deleted");
  EXPECT_EQ(report.seq, 4);
}

TEST(ChainTest, InsertedForgeryWithCopiedLinkIsNamed) {
  Log log;
  Entry forged = log.entries[3];  // claims seq 4, links to seq 3
  forged.user_id = "ghost";
  forged.hash = compute_hash(forged);
  log.entries.insert(log.entries.begin() + 3, forged);
  auto report = log.verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "inserted");
  EXPECT_EQ(report.position, 4u);  // the forgery, not the genuine seq 4 after it
  EXPECT_EQ(report.seq, 4);
}

TEST(ChainTest, InsertedRecordWithUnusedNumberIsNamed) {
  Log log;
  Entry forged = request("ghost");
  forged.instance_id = "gw-1";
  forged.seq = 99;
  forged.prev_hash = std::string(kGenesisHash);
  forged.hash = compute_hash(forged);
  log.entries.insert(log.entries.begin() + 4, forged);
  auto report = log.verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "inserted");
  EXPECT_EQ(report.seq, 99);
  EXPECT_EQ(report.position, 5u);
}

TEST(ChainTest, ReorderedRecordsAreNamed) {
  Log log;
  std::swap(log.entries[3], log.entries[4]);
  auto report = log.verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "reordered");
  EXPECT_EQ(report.seq, 5);
  EXPECT_EQ(report.position, 4u);
}

TEST(ChainTest, TruncationThenAppendIsDetected) {
  Log log;
  log.entries.resize(6);  // seq 7..10 cut off
  log.add("after");       // the writer continues from its own head: seq 11
  auto report = log.verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "deleted");
  EXPECT_EQ(report.seq, 7);
}

TEST(ChainTest, CheckpointSignatureFailsWithWrongKey) {
  Log log;
  auto other = crypto::PrivateKey::generate(crypto::Algorithm::EdDSA).public_key();
  auto report = log.verify(&other);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "bad_signature");
  EXPECT_EQ(report.seq, 1);
}

TEST(ChainTest, RewrittenChainWithForgedCheckpointFailsSignatureCheck) {
  // An attacker who rehashes the whole chain cannot re-sign its checkpoints.
  Log log;
  auto attacker = crypto::PrivateKey::generate(crypto::Algorithm::EdDSA);
  Chain chain("gw-1", Head{});
  std::vector<Entry> forged;
  forged.push_back(make_checkpoint(chain, attacker, "segment_start", 1000));
  Entry e = request("nobody");
  chain.append(e);
  forged.push_back(e);
  auto key = signing_key().public_key();
  EXPECT_TRUE(verify_entries(forged, nullptr).ok);
  auto report = verify_entries(forged, &key);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.problem, "bad_signature");
}

TEST(ChainTest, InstancesInterleavedEachVerifyAlone) {
  Chain a("gw-a", Head{});
  Chain b("gw-b", Head{});
  std::vector<Entry> entries;
  for (int i = 0; i < 4; ++i) {
    Entry x = request("a");
    a.append(x);
    entries.push_back(x);
    Entry y = request("b");
    b.append(y);
    entries.push_back(y);
  }
  auto report = verify_entries(entries, nullptr);
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_EQ(report.instances, 2u);
  entries.erase(entries.begin() + 3);  // gw-b seq 2
  report = verify_entries(entries, nullptr);
  EXPECT_EQ(report.problem, "deleted");
  EXPECT_EQ(report.instance_id, "gw-b");
  EXPECT_EQ(report.seq, 2);
}

TEST(ChainTest, NewSegmentLinksToPreviousHead) {
  Log log;
  Chain restarted("gw-1", log.chain.head());
  log.entries.push_back(make_checkpoint(restarted, signing_key(), "segment_start", 3000));
  EXPECT_EQ(log.entries.back().seq, 11);
  EXPECT_EQ(log.entries.back().prev_hash, log.entries[9].hash);
  auto key = signing_key().public_key();
  EXPECT_TRUE(verify_entries(log.entries, &key).ok);
}

}  // namespace
}  // namespace gw::audit

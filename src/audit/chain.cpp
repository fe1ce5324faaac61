#include "audit/chain.hpp"

#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

namespace gw::audit {

void Chain::append(Entry& entry) {
  entry.instance_id = instance_id_;
  entry.seq = head_.seq + 1;
  entry.prev_hash = head_.hash;
  compute_hash(entry, buffer_, entry.hash);
  head_.seq = entry.seq;
  head_.hash = entry.hash;
}

std::string checkpoint_signing_input(const Entry& checkpoint) {
  Entry copy = checkpoint;
  copy.signature.clear();
  return canonical_encoding(copy);
}

Entry make_checkpoint(Chain& chain, const crypto::PrivateKey& key, std::string_view type,
                      std::int64_t time_ms) {
  return make_checkpoint(chain, key, key.public_key().thumbprint(), type, time_ms);
}

Entry make_checkpoint(Chain& chain, const crypto::PrivateKey& key, std::string_view key_id,
                      std::string_view type, std::int64_t time_ms) {
  Entry entry;
  entry.kind = "checkpoint";
  entry.checkpoint = std::string(type);
  entry.time_ms = time_ms;
  entry.key_id = std::string(key_id);
  entry.instance_id = chain.instance_id();
  entry.seq = chain.head().seq + 1;
  entry.prev_hash = chain.head().hash;
  auto signature = key.sign(crypto::Algorithm::EdDSA, checkpoint_signing_input(entry));
  if (signature) entry.signature = crypto::base64url_encode(*signature);
  chain.append(entry);
  return entry;
}

namespace {

struct InstanceState {
  std::int64_t expected = 1;
  std::string prev{kGenesisHash};
  std::unordered_map<std::int64_t, std::size_t> accepted;  // seq -> position
};

std::string where(const Entry& e, std::size_t position) {
  return "instance " + e.instance_id + " seq " + std::to_string(e.seq) + " (entry " +
         std::to_string(position + 1) + ")";
}

VerifyReport fail(VerifyReport report, const Entry& e, std::size_t position, std::string problem,
                  std::string message) {
  report.ok = false;
  report.instance_id = e.instance_id;
  report.seq = e.seq;
  report.position = position + 1;
  report.problem = std::move(problem);
  report.message = std::move(message);
  return report;
}

}  // namespace

VerifyReport verify_entries(std::span<const Entry> entries, const crypto::PublicKey* key) {
  VerifyReport report;
  report.signatures_checked = key != nullptr;

  // Every entry must match its own hash: an edit that did not recompute it shows here.
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (compute_hash(e) != e.hash) {
      return fail(report, e, i, "modified",
                  where(e, i) + " was modified: its content does not match its hash");
    }
  }

  // Index what exists, to tell a deletion from a reordering or an insertion.
  std::map<std::pair<std::string, std::int64_t>, std::vector<std::size_t>> by_seq;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    by_seq[{entries[i].instance_id, entries[i].seq}].push_back(i);
  }
  auto links_to_existing = [&](const Entry& e) {
    if (e.seq == 1) return e.prev_hash == kGenesisHash;
    auto it = by_seq.find({e.instance_id, e.seq - 1});
    if (it == by_seq.end()) return false;
    for (std::size_t j : it->second) {
      if (entries[j].hash == e.prev_hash) return true;
    }
    return false;
  };

  auto linked_by_next = [&](const Entry& e) {
    auto it = by_seq.find({e.instance_id, e.seq + 1});
    if (it == by_seq.end()) return false;
    for (std::size_t j : it->second) {
      if (entries[j].prev_hash == e.hash) return true;
    }
    return false;
  };

  std::map<std::string, InstanceState> states;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    InstanceState& st = states[e.instance_id];
    if (e.seq == st.expected && e.prev_hash == st.prev) {
      if (e.is_checkpoint()) {
        ++report.checkpoints;
        if (key != nullptr) {
          auto signature = crypto::base64url_decode(e.signature);
          if (!signature ||
              !key->verify(crypto::Algorithm::EdDSA, checkpoint_signing_input(e), *signature)) {
            return fail(report, e, i, "bad_signature",
                        where(e, i) + ": checkpoint signature does not verify with the key");
          }
        }
        report.unsigned_tail = 0;
      } else {
        ++report.records;
        ++report.unsigned_tail;
      }
      st.accepted[e.seq] = i;
      st.expected = e.seq + 1;
      st.prev = e.hash;
      continue;
    }
    bool expected_exists_later = false;
    if (auto it = by_seq.find({e.instance_id, st.expected}); it != by_seq.end()) {
      for (std::size_t j : it->second) expected_exists_later = expected_exists_later || j > i;
    }
    if (e.seq < st.expected) {
      // Two entries claim this number: the one the chain continues from is genuine.
      std::size_t earlier = st.accepted[e.seq];
      if (linked_by_next(e) && !linked_by_next(entries[earlier])) {
        return fail(report, entries[earlier], earlier, "inserted",
                    where(entries[earlier], earlier) +
                        " is not part of the chain (the next entry links to entry " +
                        std::to_string(i + 1) + "): it was inserted");
      }
      return fail(report, e, i, "inserted",
                  where(e, i) + " repeats a sequence number already in the chain (entry " +
                      std::to_string(st.accepted[e.seq] + 1) + "): an entry was inserted");
    }
    if (e.seq == st.expected) {
      // Right number, wrong link: either this entry was forged in, or its predecessor was
      // rewritten with a recomputed hash.
      if (by_seq[{e.instance_id, e.seq}].size() > 1) {
        return fail(report, e, i, "inserted",
                    where(e, i) +
                        " does not link to its predecessor and another entry has the "
                        "same sequence number: an entry was inserted");
      }
      return fail(report, e, i, "modified",
                  where(e, i) + " does not link to seq " + std::to_string(e.seq - 1) +
                      ": that entry was modified (hash recomputed) or this one replaced");
    }
    // e.seq > expected
    if (expected_exists_later) {
      if (links_to_existing(e)) {
        return fail(report, e, i, "reordered",
                    where(e, i) + " is out of order: seq " + std::to_string(st.expected) +
                        " comes later in the log");
      }
      return fail(report, e, i, "inserted",
                  where(e, i) + " links to no entry of the chain: an entry was inserted");
    }
    report = fail(report, e, i, "deleted",
                  where(e, i) + " follows seq " + std::to_string(st.expected - 1) + ": seq " +
                      std::to_string(st.expected) +
                      (e.seq - 1 > st.expected ? ".." + std::to_string(e.seq - 1) : "") +
                      " deleted (or the log was truncated and appended to)");
    report.seq = st.expected;  // the first missing entry
    return report;
  }
  report.instances = states.size();
  report.ok = true;
  return report;
}

}  // namespace gw::audit

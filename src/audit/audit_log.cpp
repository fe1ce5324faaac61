#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <span>
#include <utility>

#include "audit/audit_log_impl.hpp"

namespace gw::audit {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string public_pem(const crypto::PublicKey& key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.native()) != 1) return {};
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// Writes `text` to a new file with `mode`; fails if the file exists.
Result<void> write_new_file(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return make_error(Reason::Internal, "cannot create " + path + ": " + std::strerror(errno),
                      Origin::Internal);
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return make_error(Reason::Internal, "cannot write " + path, Origin::Internal);
  return {};
}

std::string public_key_path(const std::string& private_path) {
  std::string base = private_path;
  if (base.size() > 4 && base.compare(base.size() - 4, 4, ".pem") == 0) {
    base.resize(base.size() - 4);
  }
  return base + ".pub.pem";
}

// Loads the signing key, or generates it (private 0600, public half beside it).
Result<crypto::PrivateKey> load_or_create_key(const std::string& path) {
  if (path.empty()) return crypto::PrivateKey::generate(crypto::Algorithm::EdDSA);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto key = crypto::PrivateKey::load_pem_file(path);
    if (!key) return key.error();
    if (key->public_key().key_type() != "OKP") {
      return make_error(Reason::Internal, path + ": audit signing key must be Ed25519",
                        Origin::Internal);
    }
    return key;
  }
  auto key = crypto::PrivateKey::generate(crypto::Algorithm::EdDSA);
  if (auto r = write_new_file(path, key.pem(), 0600); !r) return r.error();
  std::string pub = public_key_path(path);
  std::filesystem::remove(pub, ec);
  if (auto r = write_new_file(pub, public_pem(key.public_key()), 0644); !r) return r.error();
  spdlog::info("audit: generated Ed25519 signing key {} (public half: {})", path, pub);
  return key;
}

}  // namespace

AuditLog::Impl::Impl(AuditConfig config, std::vector<SinkPtr> sinks, crypto::PrivateKey key,
                     ClockSharedPtr clock)
    : config_(std::move(config)),
      sinks_(std::move(sinks)),
      key_(std::move(key)),
      key_id_(key_.public_key().thumbprint()),
      clock_(std::move(clock)),
      stats_(Stats::global()) {
  for (const auto& sink : sinks_) {
    written_.push_back(&stats_.written(std::string(sink->name())));
    errors_.push_back(&stats_.write_errors(std::string(sink->name())));
    batches_.push_back(&stats_.batches(std::string(sink->name())));
  }
}

std::int64_t AuditLog::Impl::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_->now().time_since_epoch())
      .count();
}

void AuditLog::Impl::note_drop(std::uint64_t n, std::string_view why) {
  dropped_.fetch_add(n);
  stats_.dropped.inc(n);
  // At most one log line per second, carrying the running total.
  auto now =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now().time_since_epoch())
          .count();
  auto last = last_drop_log_ms_.load();
  if (now - last >= 1000 && last_drop_log_ms_.compare_exchange_strong(last, now)) {
    spdlog::warn("audit: dropped {} record(s): {} ({} dropped since start)", n, why,
                 dropped_.load());
  }
}

bool AuditLog::Impl::try_reserve() {
  std::lock_guard lock(mutex_);
  if (!running_ || stopping_ || !healthy_.load() || !sync_healthy_.load()) return false;
  if (queued_ + reserved_ >= config_.queue_capacity) return false;
  ++reserved_;
  return true;
}

bool AuditLog::Impl::submit(Entry&& entry, bool reserved, Callback done) {
  return enqueue([&entry](PackedRecord& slot) { slot.pack(entry); }, reserved,
                 Notify{std::move(done), {}, {}});
}

bool AuditLog::Impl::enqueue(Fill fill, bool reserved, Notify&& notify) {
  bool wake = false;
  {
    std::unique_lock lock(mutex_);
    const bool uses_reservation = reserved && reserved_ > 0;
    if (!uses_reservation &&
        (!running_ || stopping_ || queued_ + reserved_ >= config_.queue_capacity)) {
      lock.unlock();
      note_drop(1, running_ ? "queue full" : "audit log not running");
      std::vector<Notify> dropped;
      if (notify) dropped.push_back(std::move(notify));
      complete(dropped, false);
      return false;
    }
    // Written in place, then counted: a fill that throws leaves the queue as it was.
    if (queued_ == queue_.size()) queue_.emplace_back();
    Pending& slot = queue_[queued_];
    fill(slot.record);
    slot.notify = std::move(notify);
    ++queued_;
    if (uses_reservation) --reserved_;
    const bool waits = static_cast<bool>(slot.notify);
    if (waits) ++queued_waiters_;
    high_water_ = std::max(high_water_, queued_);
    stats_.queue_depth.set(static_cast<double>(queued_));
    stats_.queue_high_water.set(static_cast<double>(high_water_));
    // A sleeping writer is woken at most once, and only when this record cannot wait for its
    // flush deadline: someone waits for durability, or a batch is full.
    if (writer_waiting_ && (waits || queued_ >= wake_at_queue_size_)) {
      writer_waiting_ = false;
      ++writer_wakeups_;
      wake = true;
    }
  }
  if (wake) wake_.notify_one();
  return true;
}

void AuditLog::Impl::complete(std::vector<Notify>& notifies, bool durable) {
  struct Batch {
    boost::asio::any_io_executor executor;
    std::vector<Resume> handlers;
  };
  std::vector<Batch> batches;
  for (Notify& n : notifies) {
    if (n.on_audit_thread) {
      n.on_audit_thread(durable);
      continue;
    }
    if (!n.resume) continue;
    auto batch = std::find_if(batches.begin(), batches.end(),
                              [&](const Batch& b) { return b.executor == n.executor; });
    if (batch == batches.end()) {
      batches.push_back(Batch{std::move(n.executor), {}});
      batch = std::prev(batches.end());
    }
    batch->handlers.push_back(std::move(n.resume));
  }
  for (Batch& batch : batches) {
    boost::asio::post(batch.executor, [handlers = std::move(batch.handlers), durable]() mutable {
      for (Resume& resume : handlers) resume(durable);
    });
    completion_posts_.fetch_add(1, std::memory_order_relaxed);
  }
  // The batches' executors are released after their post: the io_contexts never run out of
  // work while a handler is still to be resumed.
  notifies.clear();
}

bool AuditLog::Impl::writer_sleeping() const {
  std::lock_guard lock(mutex_);
  return writer_waiting_;
}

std::uint64_t AuditLog::Impl::writer_wakeups() const {
  std::lock_guard lock(mutex_);
  return writer_wakeups_;
}

Result<void> AuditLog::Impl::start() {
  Head head;
  std::vector<Head> heads;
  for (auto& sink : sinks_) {
    auto h = sink->open(config_.instance_id);
    if (!h) return h.error();
    heads.push_back(*h);
    if (h->seq > head.seq) head = *h;
  }
  for (std::size_t i = 0; i < heads.size(); ++i) {
    if (heads[i].seq != head.seq) {
      spdlog::warn(
          "audit: sink {} ends at seq {} but another sink at seq {} (entries lost in a "
          "crash); verify will report the gap in {}",
          sinks_[i]->name(), heads[i].seq, head.seq, sinks_[i]->name());
    }
  }
  chain_.emplace(config_.instance_id, head);
  // A new segment: a signed checkpoint linking to the head found in the store.
  Entry start = make_checkpoint(*chain_, key_, key_id_, "segment_start", now_ms());
  for (std::size_t i = 0; i < sinks_.size(); ++i) {
    if (auto r = sinks_[i]->write(std::span<const Entry>(&start, 1)); !r) {
      errors_[i]->inc();
      return r.error();
    }
    written_[i]->inc();
    batches_[i]->inc();
  }
  stats_.checkpoints.inc();
  committed_.assign(sinks_.size(), chain_->head().seq);
  synced_ = committed_;
  sync_stopping_ = false;
  {
    std::lock_guard lock(mutex_);
    running_ = true;
    stopping_ = false;
  }
  // Named, so that top -H, perf and bench/load/audit.sh can tell them apart (at most 15
  // characters).
  syncer_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "gw-audit-sync");
    run_sync();
  });
  writer_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "gw-audit-write");
    run();
  });
  return {};
}

void AuditLog::Impl::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    stopping_ = true;
    writer_waiting_ = false;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  // The writer has committed what it could; the syncer makes it durable, then releases every
  // waiter left.
  {
    std::lock_guard lock(sync_mutex_);
    sync_stopping_ = true;
  }
  sync_wake_.notify_one();
  if (syncer_.joinable()) syncer_.join();
  std::lock_guard lock(mutex_);
  running_ = false;
}

void AuditLog::Impl::publish_commits(const std::vector<std::int64_t>& committed,
                                     std::vector<std::pair<std::int64_t, Notify>>& waiters) {
  bool wake = false;
  {
    std::lock_guard lock(sync_mutex_);
    bool advanced = false;
    for (std::size_t i = 0; i < committed.size(); ++i) {
      advanced = advanced || committed[i] > committed_[i];
      committed_[i] = std::max(committed_[i], committed[i]);
    }
    for (auto& w : waiters) sync_waiters_.push_back(std::move(w));
    if (syncer_waiting_ && ((advanced && !syncer_deferring_) || !waiters.empty())) {
      syncer_waiting_ = false;
      wake = true;
    }
  }
  waiters.clear();
  if (wake) sync_wake_.notify_one();
}

void AuditLog::Impl::run_sync() {
  std::vector<std::int64_t> targets;
  std::vector<Notify> finished;
  SteadyClock::time_point retry_at{};
  std::chrono::milliseconds backoff{100};
  bool failing = false;

  // Commits nobody waits for are synced at most once per sync_interval: a best_effort record
  // is then durable within that interval of its commit, and each sync covers many batches
  // (a disk flush per batch would cost the syncer, and the disk, far more than the commit).
  const auto sync_interval = config_.sync_interval;
  SteadyClock::time_point next_sync_at{};

  std::unique_lock lock(sync_mutex_);
  for (;;) {
    bool behind = false;
    for (std::size_t i = 0; i < sinks_.size(); ++i) behind = behind || committed_[i] > synced_[i];
    const auto now = SteadyClock::now();
    const bool retry_due = !failing || now >= retry_at;
    const bool deferred =
        behind && !failing && sync_waiters_.empty() && !sync_stopping_ && now < next_sync_at;
    if (!(behind && retry_due) || deferred) {
      if (sync_stopping_ && (!behind || failing)) break;
      syncer_waiting_ = true;
      syncer_deferring_ = deferred;
      if (failing && behind) {
        sync_wake_.wait_until(lock, retry_at);
      } else if (deferred) {
        sync_wake_.wait_until(lock, next_sync_at);
      } else {
        sync_wake_.wait(lock);
      }
      syncer_waiting_ = false;
      syncer_deferring_ = false;
      continue;
    }
    next_sync_at = now + sync_interval;
    // Everything committed so far goes to disk in one sync per sink: commits made while this
    // sync runs wait for the next one.
    targets = committed_;
    std::vector<std::int64_t> synced = synced_;
    lock.unlock();
    bool ok = true;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
      if (targets[i] <= synced[i]) continue;
      if (auto r = sinks_[i]->sync(); !r) {
        errors_[i]->inc();
        if (!failing) {
          spdlog::error("audit: {} sink sync failed: {} (retrying)", sinks_[i]->name(),
                        r.error().detail);
        }
        ok = false;
        continue;
      }
      synced[i] = targets[i];
    }
    failing = !ok;
    sync_healthy_.store(ok);
    if (ok) {
      backoff = std::chrono::milliseconds(100);
    } else {
      retry_at = SteadyClock::now() + backoff;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
    lock.lock();
    synced_ = synced;
    const std::int64_t durable = *std::min_element(synced_.begin(), synced_.end());
    // sync_waiters_ is in seq order: the durable ones are a prefix.
    auto end = std::find_if(sync_waiters_.begin(), sync_waiters_.end(),
                            [&](const auto& w) { return w.first > durable; });
    for (auto it = sync_waiters_.begin(); it != end; ++it) {
      finished.push_back(std::move(it->second));
    }
    sync_waiters_.erase(sync_waiters_.begin(), end);
    if (!finished.empty()) {
      lock.unlock();
      complete(finished, true);
      lock.lock();
    }
  }
  // Stopping: whatever could not be made durable is released as such.
  for (auto& w : sync_waiters_) finished.push_back(std::move(w.second));
  sync_waiters_.clear();
  lock.unlock();
  complete(finished, false);
}

void AuditLog::Impl::run() {
  struct SinkState {
    // Pending entries are slots[0, count). The slots past them keep earlier entries' strings, so
    // that records are unpacked or assigned in without allocating (the sink's buffers, like the
    // queue's, grow to their high-water mark and stay). Only the writer touches them.
    std::vector<Entry> slots;
    std::size_t count = 0;
    std::span<const Entry> pending() const noexcept { return {slots.data(), count}; }
    SteadyClock::time_point oldest{};
    SteadyClock::time_point retry_at{};
    std::chrono::milliseconds backoff{100};
    bool failing = false;
  };
  std::vector<SinkState> states(sinks_.size());
  std::vector<std::pair<std::int64_t, Notify>> waiters;  // drained, not yet handed over
  std::int64_t last_waited_seq = 0;                      // highest seq someone waits for
  std::vector<std::int64_t> committed(sinks_.size(), chain_->head().seq);
  std::vector<Pending> batch;  // swapped with queue_; both keep their slots
  std::size_t batch_size = 0;
  std::int64_t since_checkpoint = 0;
  std::int64_t last_checkpoint_ms = now_ms();
  const auto interval = config_.checkpoint_interval;

  // The next pending slot of a sink.
  auto next_slot = [&](SinkState& st) -> Entry& {
    if (st.count == 0) st.oldest = SteadyClock::now();
    if (st.count == st.slots.size()) st.slots.emplace_back();
    return st.slots[st.count++];
  };
  // Every sink gets the entry.
  auto append = [&](const Entry& e) {
    for (SinkState& st : states) next_slot(st) = e;
  };
  auto checkpoint = [&](std::string_view type) {
    Entry cp = make_checkpoint(*chain_, key_, key_id_, type, now_ms());
    stats_.checkpoints.inc();
    spdlog::info("audit: checkpoint {} instance={} seq={} head={}", type, config_.instance_id,
                 cp.seq, cp.prev_hash);
    append(cp);
    since_checkpoint = 0;
    last_checkpoint_ms = now_ms();
  };

  std::unique_lock lock(mutex_);
  for (;;) {
    // Sleep until a record needs the writer (a durability waiter, a full batch, or a first
    // record starting a batch), a batch is due, a failed sink may be retried, or the
    // checkpoint interval passes. Records that can wait for their batch's deadline do not
    // wake the writer.
    const auto now = SteadyClock::now();
    auto deadline = now + std::chrono::seconds(1);
    if (interval.count() > 0) deadline = std::min(deadline, now + interval);
    std::size_t wake_at = std::numeric_limits<std::size_t>::max();  // all sinks failing: only
                                                                    // waiters and deadlines wake
    for (std::size_t i = 0; i < states.size(); ++i) {
      const SinkState& st = states[i];
      if (st.failing) {
        if (st.count > 0) deadline = std::min(deadline, st.retry_at);
        continue;
      }
      if (st.count == 0) {
        wake_at = 1;  // the first record starts this sink's flush clock
        continue;
      }
      deadline = std::min(deadline, st.oldest + sinks_[i]->flush_interval());
      const std::size_t batch_max = std::max<std::size_t>(sinks_[i]->batch_max(), 1);
      wake_at = std::min(wake_at, batch_max > st.count ? batch_max - st.count : std::size_t{1});
    }
    if (!stopping_ && queued_waiters_ == 0 && queued_ < wake_at) {
      writer_waiting_ = true;
      wake_at_queue_size_ = wake_at;
      wake_.wait_until(lock, deadline);
      writer_waiting_ = false;
    }
    batch.swap(queue_);
    batch_size = std::exchange(queued_, 0);
    queued_waiters_ = 0;
    const bool stop = stopping_;
    stats_.queue_depth.set(0);
    lock.unlock();

    for (std::size_t k = 0; k < batch_size; ++k) {
      Pending& p = batch[k];
      // Unpacked into the first sink's slot and chained there; the other sinks get copies.
      Entry& entry = next_slot(states.front());
      p.record.unpack(entry);
      chain_->append(entry);
      const std::int64_t seq = entry.seq;
      for (std::size_t i = 1; i < states.size(); ++i) next_slot(states[i]) = entry;
      if (p.notify) {
        waiters.emplace_back(seq, std::move(p.notify));
        last_waited_seq = seq;
      }
      ++since_checkpoint;
      if (config_.checkpoint_every > 0 && since_checkpoint >= config_.checkpoint_every) {
        checkpoint("periodic");
      }
    }
    if (interval.count() > 0 && since_checkpoint > 0 &&
        now_ms() - last_checkpoint_ms >= interval.count()) {
      checkpoint("periodic");
    }
    if (stop) checkpoint("shutdown");

    const auto write_time = SteadyClock::now();
    bool all_healthy = true;
    for (std::size_t i = 0; i < sinks_.size(); ++i) {
      SinkState& st = states[i];
      if (st.count == 0) continue;
      // Group commit: a durability waiter makes the batch due, and takes everything queued
      // meanwhile with it.
      bool due = st.count >= sinks_[i]->batch_max() ||
                 write_time - st.oldest >= sinks_[i]->flush_interval() ||
                 st.slots.front().seq <= last_waited_seq || stop;
      if (!due || (st.failing && write_time < st.retry_at && !stop)) {
        all_healthy = all_healthy && !st.failing;
        continue;
      }
      auto result = sinks_[i]->commit(st.pending());
      if (result) {
        written_[i]->inc(st.count);
        batches_[i]->inc();
        committed[i] = st.slots[st.count - 1].seq;
        st.count = 0;
        st.failing = false;
        st.backoff = std::chrono::milliseconds(100);
        continue;
      }
      errors_[i]->inc();
      if (!st.failing) {
        spdlog::error("audit: {} sink write failed: {} (retrying)", sinks_[i]->name(),
                      result.error().detail);
      }
      st.failing = true;
      all_healthy = false;
      st.retry_at = write_time + st.backoff;
      st.backoff = std::min(st.backoff * 2, std::chrono::milliseconds(5000));
      // Bounded memory while a sink is down: the oldest entries go, counted.
      if (st.count > config_.queue_capacity) {
        std::size_t excess = st.count - config_.queue_capacity;
        std::rotate(st.slots.begin(), st.slots.begin() + static_cast<std::ptrdiff_t>(excess),
                    st.slots.begin() + static_cast<std::ptrdiff_t>(st.count));
        st.count -= excess;
        note_drop(excess, std::string(sinks_[i]->name()) + " sink failing");
      }
    }
    healthy_.store(all_healthy);  // try_reserve also checks sync_healthy_
    // The syncer makes the commits durable and resumes the waiters.
    publish_commits(committed, waiters);

    if (stop) {
      for (std::size_t i = 0; i < states.size(); ++i) {
        if (states[i].count > 0) {
          spdlog::error("audit: {} sink: {} entries could not be written before shutdown",
                        sinks_[i]->name(), states[i].count);
        }
      }
      return;
    }
    lock.lock();
  }
}

AuditLog::AuditLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AuditLog::~AuditLog() {
  if (impl_) impl_->stop();
}

Result<std::shared_ptr<AuditLog>> AuditLog::create(AuditConfig config, ClockSharedPtr clock) {
  std::vector<SinkPtr> sinks;
  if (config.sqlite) sinks.push_back(make_sqlite_sink(*config.sqlite));
  if (config.jsonl) sinks.push_back(make_jsonl_sink(*config.jsonl, clock));
  if (config.postgres) sinks.push_back(make_postgres_sink(*config.postgres));
  return create(std::move(config), std::move(sinks), std::move(clock));
}

Result<std::shared_ptr<AuditLog>> AuditLog::create(AuditConfig config, std::vector<SinkPtr> sinks,
                                                   ClockSharedPtr clock) {
  if (sinks.empty()) {
    return make_error(Reason::Internal, "audit: no sink configured", Origin::Internal);
  }
  auto key = load_or_create_key(config.signing_key_file);
  if (!key) return key.error();
  auto impl = std::make_unique<Impl>(std::move(config), std::move(sinks), std::move(*key),
                                     std::move(clock));
  return std::shared_ptr<AuditLog>(new AuditLog(std::move(impl)));
}

Result<void> AuditLog::start() { return impl_->start(); }
void AuditLog::stop() { impl_->stop(); }
Mode AuditLog::mode() const noexcept { return impl_->config_.mode; }
const std::string& AuditLog::instance_id() const noexcept { return impl_->config_.instance_id; }
std::string AuditLog::public_key_pem() const { return public_pem(impl_->key_.public_key()); }
std::size_t AuditLog::queue_depth() const noexcept {
  std::lock_guard lock(impl_->mutex_);
  return impl_->queued_;
}
std::uint64_t AuditLog::dropped() const noexcept { return impl_->dropped_.load(); }

}  // namespace gw::audit

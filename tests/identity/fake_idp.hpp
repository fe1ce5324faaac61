#pragma once

// A fake identity provider behind the identity layer's Fetcher: canned bodies per URL, failures
// on demand, a call log, and an optional gate that holds every fetch until the test opens it.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "identity/identity.hpp"

namespace gw::test {

class FakeIdp {
 public:
  void serve(const std::string& url, std::string body) {
    std::lock_guard lock(mutex_);
    bodies_[url] = std::move(body);
  }
  void fail(const std::string& url) {
    std::lock_guard lock(mutex_);
    bodies_.erase(url);
  }
  int calls() const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(urls_.size());
  }
  std::vector<std::string> urls() const {
    std::lock_guard lock(mutex_);
    return urls_;
  }
  // Every fetch from now on waits until open() (single-threaded tests only).
  void close_gate(boost::asio::any_io_executor executor) {
    gate_ = std::make_shared<boost::asio::steady_timer>(executor);
    gate_->expires_at(boost::asio::steady_timer::time_point::max());
  }
  void open_gate() {
    if (gate_) gate_->cancel();
    gate_.reset();
  }

  identity::Fetcher fetcher() {
    return [this](std::string url) { return fetch(std::move(url)); };
  }

 private:
  boost::asio::awaitable<Result<std::string>> fetch(std::string url) {
    {
      std::lock_guard lock(mutex_);
      urls_.push_back(url);
    }
    if (auto gate = gate_) {
      co_await gate->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    std::lock_guard lock(mutex_);
    auto it = bodies_.find(url);
    if (it == bodies_.end()) {
      co_return make_error(Reason::JwksUnavailable, "HTTP 503 from " + url, Origin::Upstream);
    }
    co_return it->second;
  }

  mutable std::mutex mutex_;
  std::map<std::string, std::string> bodies_;
  std::vector<std::string> urls_;
  std::shared_ptr<boost::asio::steady_timer> gate_;
};

}  // namespace gw::test

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/intrusive/list.hpp>
#include <ctime>

#include "http/http.hpp"

namespace gw::http {

// The io_context service that owns the periodic sweep. It ticks only while some deadline of
// its io_context is armed, so an idle gateway does not wake up.
class DeadlineSweeper : public net::execution_context::service {
 public:
  using key_type = DeadlineSweeper;
  static inline net::execution_context::id id;

  explicit DeadlineSweeper(net::execution_context& context)
      : net::execution_context::service(context) {}

  void add(Deadline& d) {
    if (!timer_) timer_.emplace(d.socket_.get_executor());
    deadlines_.push_back(d);
  }

  void armed() {
    if (ticking_ || shut_down_) return;
    ticking_ = true;
    schedule();
  }

 private:
  // Every service still exists during shutdown (not during destruction): the timer goes now.
  void shutdown() override {
    shut_down_ = true;
    deadlines_.clear();  // auto-unlink hooks: deadlines destroyed later touch nothing here
    timer_.reset();
  }

  void schedule() {
    timer_->expires_after(Deadline::kResolution);
    timer_->async_wait([this](const boost::system::error_code& ec) {
      if (ec || shut_down_) {
        ticking_ = false;
        return;
      }
      if (sweep()) {
        schedule();
      } else {
        ticking_ = false;
      }
    });
  }

  // Closes the sockets whose armed deadline has passed; true while any deadline is armed.
  // A passed deadline stays armed until its operation ends: an operation that reopens the
  // socket (a connect trying the next address) is cut again at the next sweep.
  bool sweep() {
    const auto now = Deadline::Clock::now();
    bool any_armed = false;
    for (auto& d : deadlines_) {
      if (!d.armed_) continue;
      any_armed = true;
      if (now < d.expiry_) continue;
      d.expired_ = true;
      if (d.socket_.is_open()) {
        boost::system::error_code ignored;
        d.socket_.close(ignored);
      }
    }
    return any_armed;
  }

  using List = boost::intrusive::list<Deadline, boost::intrusive::constant_time_size<false>>;
  List deadlines_;
  std::optional<net::steady_timer> timer_;
  bool ticking_ = false;
  bool shut_down_ = false;
};

Deadline::Clock::time_point Deadline::Clock::now() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

Deadline::Deadline(Socket& socket)
    : socket_(socket),
      sweeper_(net::use_service<DeadlineSweeper>(
          net::query(socket.get_executor(), net::execution::context))) {
  sweeper_.add(*this);
}

void Deadline::arm(Clock::duration timeout) {
  expiry_ = Clock::now() + timeout;
  armed_ = true;
  expired_ = false;
  sweeper_.armed();
}

boost::system::error_code Deadline::Scope::check(boost::system::error_code ec) const {
  if (ec && d_.expired()) return beast::error::timeout;
  return ec;
}

}  // namespace gw::http

#pragma once

// Incremental reader of a text/event-stream (WHATWG HTML, "Server-sent events"): splits a body
// that arrives in pieces of any size into events, whatever the line ends (LF, CRLF or CR, even
// a CRLF split between two pieces).

#include <cstddef>
#include <string>
#include <string_view>

namespace gw {

class SseSplitter {
 public:
  // Events larger than this are dropped (counted by oversized()), not buffered without bound.
  explicit SseSplitter(std::size_t max_event_bytes = 1024 * 1024) : max_event_(max_event_bytes) {}

  // Feeds the next piece; calls on_event(std::string_view event) for every event it completes.
  // An event is its lines joined by '\n', without the blank line that ended it; comment lines
  // (": ...") are kept, since a relay may need them.
  template <class OnEvent>
  void feed(std::string_view piece, OnEvent&& on_event) {
    while (!piece.empty()) {
      if (after_cr_ && piece.front() == '\n') piece.remove_prefix(1);  // the CRLF's second half
      after_cr_ = false;
      if (piece.empty()) break;
      const auto end = piece.find_first_of("\r\n");
      append(piece.substr(0, end));
      if (end == std::string_view::npos) break;
      after_cr_ = piece[end] == '\r';
      piece.remove_prefix(end + 1);
      end_line(on_event);
    }
  }

  // The body ended: an event without its closing blank line is still delivered.
  template <class OnEvent>
  void finish(OnEvent&& on_event) {
    if (line_started_) end_line(on_event);
    if (!event_.empty() && !dropping_) on_event(std::string_view(event_));
    reset();
  }

  void reset() noexcept {
    event_.clear();
    line_started_ = after_cr_ = dropping_ = false;
  }
  std::size_t oversized() const noexcept { return oversized_; }

 private:
  void append(std::string_view text) {
    if (text.empty()) return;
    if (!line_started_ && !event_.empty() && !dropping_) event_ += '\n';
    line_started_ = true;
    if (dropping_) return;
    if (event_.size() + text.size() > max_event_) {
      dropping_ = true;
      ++oversized_;
      event_.clear();
      return;
    }
    event_.append(text);
  }

  template <class OnEvent>
  void end_line(OnEvent& on_event) {
    if (line_started_) {
      line_started_ = false;
      return;
    }
    // A blank line ends the event.
    if (!event_.empty() && !dropping_) on_event(std::string_view(event_));
    event_.clear();
    dropping_ = false;
  }

  std::size_t max_event_;
  std::string event_;
  bool line_started_ = false;  // the current line has bytes (so a line end is not a blank line)
  bool after_cr_ = false;      // the last piece ended with CR: a leading LF belongs to it
  bool dropping_ = false;      // the current event went over the bound
  std::size_t oversized_ = 0;
};

// The event's data: its "data" field lines joined by '\n' (a single space after the colon is
// not part of the value). Appended to `out`; false when the event has no data field.
bool append_sse_data(std::string_view event, std::string& out);

// The event's "event" field (its type), or "" when absent.
std::string_view sse_event_type(std::string_view event) noexcept;

}  // namespace gw

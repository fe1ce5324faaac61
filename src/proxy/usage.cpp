#include <boost/json/parse.hpp>

#include "proxy/proxy.hpp"

namespace gw::proxy {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxJsonBody = 4 * 1024 * 1024;
constexpr std::size_t kMaxEvent = 1024 * 1024;

std::int64_t number(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key)) {
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  }
  return -1;
}

}  // namespace

void UsageExtractor::read_usage(std::string_view json_text) {
  boost::system::error_code ec;
  auto value = json::parse(json_text, ec);
  if (ec || !value.is_object()) return;
  const json::object* usage = nullptr;
  const auto& root = value.get_object();
  if (const auto* u = root.if_contains("usage"); u && u->is_object()) usage = &u->get_object();
  // Anthropic message_start carries usage inside "message"; Responses API inside "response".
  for (std::string_view outer : {"message", "response"}) {
    if (usage) break;
    if (const auto* m = root.if_contains(outer); m && m->is_object()) {
      if (const auto* u = m->get_object().if_contains("usage"); u && u->is_object()) {
        usage = &u->get_object();
      }
    }
  }
  if (usage == nullptr) return;
  for (std::string_view key : {"prompt_tokens", "input_tokens"}) {
    if (auto n = number(*usage, key); n >= 0) {
      usage_.input_tokens = std::max(usage_.input_tokens, n);
      usage_.reported = true;
    }
  }
  for (std::string_view key : {"completion_tokens", "output_tokens"}) {
    if (auto n = number(*usage, key); n >= 0) {
      usage_.output_tokens = std::max(usage_.output_tokens, n);
      usage_.reported = true;
    }
  }
}

void UsageExtractor::parse_event(std::string_view event) {
  // An SSE event: lines "field: value"; the data lines joined form the payload.
  std::string data;
  while (!event.empty()) {
    auto end = event.find('\n');
    std::string_view line = event.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 5) == "data:") {
      line.remove_prefix(5);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      if (!data.empty()) data += '\n';
      data.append(line);
    }
    if (end == std::string_view::npos) break;
    event.remove_prefix(end + 1);
  }
  if (data.find("usage") != std::string::npos) read_usage(data);
}

void UsageExtractor::feed(std::string_view data) {
  if (overflow_) return;
  pending_.append(data);
  if (!is_event_stream_) {
    if (pending_.size() > kMaxJsonBody) {
      overflow_ = true;
      pending_.clear();
    }
    return;
  }
  // Events end with a blank line.
  std::size_t start = 0;
  while (true) {
    auto end = pending_.find("\n\n", start);
    auto crlf = pending_.find("\r\n\r\n", start);
    std::size_t sep = 2;
    if (crlf != std::string::npos && (end == std::string::npos || crlf < end)) {
      end = crlf;
      sep = 4;
    }
    if (end == std::string::npos) break;
    parse_event(std::string_view(pending_).substr(start, end - start));
    start = end + sep;
  }
  pending_.erase(0, start);
  if (pending_.size() > kMaxEvent) pending_.clear();
}

void UsageExtractor::finish(Usage& usage) {
  if (!is_event_stream_ && !overflow_ && !pending_.empty()) read_usage(pending_);
  if (is_event_stream_ && !pending_.empty()) parse_event(pending_);
  pending_.clear();
  if (usage_.reported) {
    usage.input_tokens = usage_.input_tokens;
    usage.output_tokens = usage_.output_tokens;
    usage.reported = true;
  }
}

}  // namespace gw::proxy

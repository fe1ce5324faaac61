#include "policy/tools_list_filter.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <vector>

#include "core/sse.hpp"

namespace gw::policy {
namespace {

using MayCall = std::function<bool(std::string_view)>;

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Filters one message in place; returns the number of tools removed.
std::size_t filter_message(boost::json::value& message, const MayCall& may_call) {
  auto* object = message.if_object();
  if (object == nullptr) return 0;
  auto* result = object->if_contains("result");
  if (result == nullptr || !result->is_object()) return 0;
  auto* tools = result->as_object().if_contains("tools");
  if (tools == nullptr || !tools->is_array()) return 0;
  auto& list = tools->as_array();
  std::size_t removed = 0;
  for (auto it = list.begin(); it != list.end();) {
    const auto* tool = it->if_object();
    const auto* name = tool == nullptr ? nullptr : tool->if_contains("name");
    if (name != nullptr && name->is_string() && may_call(std::string_view(name->as_string()))) {
      ++it;
    } else {
      it = list.erase(it);
      ++removed;
    }
  }
  return removed;
}

// Parses and filters a JSON text (a message or a batch); nullopt when it is not JSON.
std::optional<std::size_t> filter_json(std::string_view text, const MayCall& may_call,
                                       std::string& rewritten) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  if (ec) return std::nullopt;
  std::size_t removed = 0;
  if (auto* batch = value.if_array()) {
    for (auto& message : *batch) removed += filter_message(message, may_call);
  } else if (value.is_object()) {
    removed = filter_message(value, may_call);
  } else {
    return std::nullopt;
  }
  if (removed > 0) rewritten = boost::json::serialize(value);
  return removed;
}

// The stream's line end, for re-emitting its events as they came (the first one used).
std::string_view line_end_of(std::string_view body) {
  const auto at = body.find_first_of("\r\n");
  if (at == std::string_view::npos || body[at] == '\n') return "\n";
  return at + 1 < body.size() && body[at + 1] == '\n' ? "\r\n" : "\r";
}

// Each event of the stream filtered on its own; an event whose tools are hidden has its data
// lines replaced by one with the rewritten message.
// `text` is the stream (`body` without a byte order mark); `body` is replaced only when a tool
// was hidden.
ToolsListFilterResult filter_event_stream(std::string_view text, std::string& body,
                                          const MayCall& may_call) {
  ToolsListFilterResult result;
  bool all_parsed = true;
  bool any_message = false;
  std::string out;
  out.reserve(text.size());
  std::string data;
  std::string rewritten;
  const std::string_view eol = line_end_of(text);
  bool at_end = false;
  auto on_event = [&](std::string_view event) {
    data.clear();
    std::optional<std::size_t> removed;
    if (append_sse_data(event, data)) {
      rewritten.clear();
      removed = filter_json(data, may_call, rewritten);
      if (removed) {
        any_message = true;
        result.hidden += *removed;
      } else {
        all_parsed = false;
      }
    }
    bool data_written = false;
    while (!event.empty()) {
      const auto end = event.find('\n');
      const std::string_view line = event.substr(0, end);
      if (removed && *removed > 0 && line.starts_with("data:")) {
        if (!data_written) out.append("data: ").append(rewritten).append(eol);
        data_written = true;
      } else {
        out.append(line).append(eol);
      }
      if (end == std::string_view::npos) break;
      event.remove_prefix(end + 1);
    }
    if (!at_end) out += eol;  // an event the body ends in keeps its missing blank line
  };
  // The whole body is in memory already: no event is too large to read.
  SseSplitter events(text.size() + 1);
  events.feed(text, on_event);
  at_end = true;
  events.finish(on_event);

  result.parsed = all_parsed && any_message;
  // Events that could be filtered are, even when another event could not be parsed.
  if (result.hidden > 0) body = std::move(out);
  return result;
}

}  // namespace

ToolsListFilterResult filter_tools_list(std::string& body, const MayCall& may_call) {
  // Event-stream and JSON clients skip a leading byte order mark: so must the filter, or the
  // first event would pass unread. The body keeps it unless a tool is hidden.
  std::string_view text = body;
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {true, 0};  // no message: nothing to hide
  if (text[first] == '{' || text[first] == '[') {
    std::string rewritten;
    auto removed = filter_json(text, may_call, rewritten);
    if (!removed) return {};
    if (*removed > 0) body = std::move(rewritten);
    return {true, *removed};
  }
  return filter_event_stream(text, body, may_call);
}

}  // namespace gw::policy

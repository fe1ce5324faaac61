#include "policy/tools_list_filter.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <vector>

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

struct Line {
  std::string_view text;  // without its terminator
  std::string_view end;   // "\r\n", "\n", "\r" or "" at the end of the body
};

std::vector<Line> split_lines(std::string_view body) {
  std::vector<Line> lines;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const std::size_t stop = body.find_first_of("\r\n", pos);
    if (stop == std::string_view::npos) {
      lines.push_back({body.substr(pos), {}});
      break;
    }
    const std::size_t len =
        (body[stop] == '\r' && stop + 1 < body.size() && body[stop + 1] == '\n') ? 2 : 1;
    lines.push_back({body.substr(pos, stop - pos), body.substr(stop, len)});
    pos = stop + len;
  }
  return lines;
}

ToolsListFilterResult filter_event_stream(std::string& body, const MayCall& may_call) {
  ToolsListFilterResult result;
  bool all_parsed = true;
  bool any_message = false;
  std::string out;
  out.reserve(body.size());
  const auto lines = split_lines(body);

  // One event = the lines up to a blank line.
  auto flush = [&](std::size_t first, std::size_t last) {
    std::string data;
    bool has_data = false;
    for (std::size_t i = first; i < last; ++i) {
      std::string_view t = lines[i].text;
      if (!t.starts_with("data:")) continue;
      t.remove_prefix(5);
      if (t.starts_with(' ')) t.remove_prefix(1);
      if (has_data) data += '\n';
      data += t;
      has_data = true;
    }
    std::string rewritten;
    std::optional<std::size_t> removed;
    if (has_data) {
      removed = filter_json(data, may_call, rewritten);
      if (removed) {
        any_message = true;
        result.hidden += *removed;
      } else {
        all_parsed = false;
      }
    }
    bool data_written = false;
    for (std::size_t i = first; i < last; ++i) {
      if (removed && *removed > 0 && lines[i].text.starts_with("data:")) {
        if (!data_written) {
          out += "data: ";
          out += rewritten;
          out += lines[i].end.empty() ? std::string_view("\n") : lines[i].end;
          data_written = true;
        }
        continue;
      }
      out += lines[i].text;
      out += lines[i].end;
    }
  };

  std::size_t start = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].text.empty()) {
      flush(start, i);
      out += lines[i].end;
      start = i + 1;
    }
  }
  flush(start, lines.size());

  result.parsed = all_parsed && any_message;
  // Events that could be filtered are, even when another event could not be parsed.
  if (result.hidden > 0) body = std::move(out);
  return result;
}

}  // namespace

ToolsListFilterResult filter_tools_list(std::string& body, const MayCall& may_call) {
  // Event-stream and JSON clients skip a leading byte order mark: so must the filter, or the
  // first event would pass unread.
  if (body.starts_with(kUtf8Bom)) body.erase(0, kUtf8Bom.size());
  const std::size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {true, 0};  // no message: nothing to hide
  if (body[first] == '{' || body[first] == '[') {
    std::string rewritten;
    auto removed = filter_json(body, may_call, rewritten);
    if (!removed) return {};
    if (*removed > 0) body = std::move(rewritten);
    return {true, *removed};
  }
  return filter_event_stream(body, may_call);
}

}  // namespace gw::policy

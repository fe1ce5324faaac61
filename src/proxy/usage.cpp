#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include "proxy/proxy.hpp"

namespace gw::proxy {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxJsonBody = 4 * 1024 * 1024;

std::int64_t number(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key)) {
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  }
  return -1;
}

// The length of a string member, -1 when absent or not a string.
std::int64_t text_length(const json::object& o, std::string_view key) {
  if (const auto* v = o.if_contains(key); v && v->is_string()) {
    return static_cast<std::int64_t>(v->get_string().size());
  }
  return -1;
}

const json::object* object_member(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

// Text bytes one event's delta carries, or -1 when the event carries no output delta.
// OpenAI chat (choices[].delta), the Responses API (response.*.delta) and Anthropic
// (content_block_delta).
std::int64_t delta_bytes(const json::object& root) {
  std::int64_t bytes = -1;
  auto add = [&bytes](std::int64_t n) {
    if (n >= 0) bytes = std::max<std::int64_t>(bytes, 0) + n;
  };
  if (const auto* choices = root.if_contains("choices"); choices && choices->is_array()) {
    for (const auto& choice : choices->get_array()) {
      if (!choice.is_object()) continue;
      const auto* delta = object_member(choice.get_object(), "delta");
      if (delta == nullptr) continue;
      for (std::string_view key : {"content", "reasoning_content", "refusal"}) {
        if (auto n = text_length(*delta, key); n > 0) add(n);
      }
      if (const auto* calls = delta->if_contains("tool_calls"); calls && calls->is_array()) {
        for (const auto& call : calls->get_array()) {
          const auto* fn =
              call.is_object() ? object_member(call.get_object(), "function") : nullptr;
          add(fn ? std::max<std::int64_t>(text_length(*fn, "arguments"), 0) : 0);
        }
      }
    }
    return bytes;
  }
  const auto* type = root.if_contains("type");
  if (type == nullptr || !type->is_string()) return -1;
  const std::string_view t = type->get_string();
  if (t == "content_block_delta") {
    const auto* delta = object_member(root, "delta");
    if (delta == nullptr) return 0;
    for (std::string_view key : {"text", "partial_json", "thinking"}) {
      if (auto n = text_length(*delta, key); n >= 0) return n;
    }
    return 0;
  }
  if (t.starts_with("response.") && t.ends_with(".delta")) {
    return std::max<std::int64_t>(text_length(root, "delta"), 0);
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
    if (const auto* m = object_member(root, outer)) usage = object_member(*m, "usage");
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

void UsageExtractor::count_deltas(std::string_view json_text) {
  unsigned char scratch[4096];
  json::monotonic_resource resource(scratch, sizeof scratch);
  boost::system::error_code ec;
  auto value = json::parse(json_text, ec, &resource);
  if (ec || !value.is_object()) return;
  if (const auto n = delta_bytes(value.get_object()); n >= 0) {
    ++delta_events_;
    delta_bytes_ += n;
  }
}

void UsageExtractor::on_event(std::string_view event) {
  data_.clear();
  append_sse_data(event, data_);
  if (data_.find("usage") != std::string::npos) read_usage(data_);
  // Counted until the upstream reports: the count only matters when it never does.
  if (!usage_.reported && data_.find("delta") != std::string::npos) count_deltas(data_);
}

void UsageExtractor::feed(std::string_view data) {
  body_bytes_ += data.size();
  if (is_event_stream_) {
    events_.feed(data, [this](std::string_view event) { on_event(event); });
    return;
  }
  if (overflow_) return;
  body_.append(data);
  if (body_.size() > kMaxJsonBody) {
    overflow_ = true;
    body_.clear();
  }
}

void UsageExtractor::finish(Usage& usage, std::int64_t input_estimate) {
  if (is_event_stream_) {
    events_.finish([this](std::string_view event) { on_event(event); });
  } else if (!overflow_ && !body_.empty()) {
    read_usage(body_);
  }
  body_.clear();
  if (usage_.reported) {
    usage.input_tokens = usage_.input_tokens;
    usage.output_tokens = usage_.output_tokens;
    usage.reported = true;
    usage.estimated = false;
    return;
  }
  if (body_bytes_ == 0) return;
  // Nothing reported: charge what passed. A JSON answer's text is not told apart from its
  // envelope here; a quarter token per byte over-counts it, never under-counts.
  const std::int64_t output = is_event_stream_ ? std::max(delta_events_, (delta_bytes_ + 3) / 4)
                                               : static_cast<std::int64_t>((body_bytes_ + 3) / 4);
  usage.output_tokens = output;
  usage.input_tokens = std::max<std::int64_t>(input_estimate, 0);
  usage.estimated = true;
}

}  // namespace gw::proxy

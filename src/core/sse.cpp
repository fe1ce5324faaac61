#include "core/sse.hpp"

namespace gw {
namespace {

// Calls on_field(name, value) for every field line of an event.
template <class OnField>
void for_each_field(std::string_view event, OnField&& on_field) {
  while (!event.empty()) {
    const auto end = event.find('\n');
    std::string_view line = event.substr(0, end);
    if (!line.empty() && line.front() != ':') {
      const auto colon = line.find(':');
      std::string_view name = line.substr(0, colon);
      std::string_view value;
      if (colon != std::string_view::npos) {
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      }
      on_field(name, value);
    }
    if (end == std::string_view::npos) break;
    event.remove_prefix(end + 1);
  }
}

}  // namespace

bool append_sse_data(std::string_view event, std::string& out) {
  bool first = true;
  for_each_field(event, [&](std::string_view name, std::string_view value) {
    if (name != "data") return;
    if (!first) out += '\n';
    out.append(value);
    first = false;
  });
  return !first;
}

std::string_view sse_event_type(std::string_view event) noexcept {
  std::string_view type;
  for_each_field(event, [&](std::string_view name, std::string_view value) {
    if (name == "event") type = value;
  });
  return type;
}

}  // namespace gw

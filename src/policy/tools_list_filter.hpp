#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace gw::policy {

struct ToolsListFilterResult {
  // Every JSON-RPC message in the body was understood (a blank body holds none and counts as
  // understood). When false the body may still list tools `may_call` refuses: it must not
  // reach the caller.
  bool parsed = false;
  std::size_t hidden = 0;  // tools removed
};

// Removes from every JSON-RPC result's `tools` array the tools `may_call` refuses (and any
// entry without a string `name`). The body is a JSON-RPC message (or batch) as
// application/json, or a text/event-stream whose `data:` lines carry them (at least one
// message). A leading UTF-8 byte order mark is dropped; otherwise the body is rewritten only
// when a tool was removed. Events that parse are filtered even when another does not.
ToolsListFilterResult filter_tools_list(std::string& body,
                                        const std::function<bool(std::string_view)>& may_call);

}  // namespace gw::policy

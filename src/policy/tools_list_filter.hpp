#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace gw::policy {

struct ToolsListFilterResult {
  bool parsed = false;     // every JSON-RPC message in the body was understood
  std::size_t hidden = 0;  // tools removed
};

// Removes from every JSON-RPC result's `tools` array the tools `may_call` refuses (and any
// entry without a string `name`). The body is a JSON-RPC message (or batch) as
// application/json, or a text/event-stream whose `data:` lines carry them. The body is
// rewritten only when a tool was removed; one that cannot be parsed is left unchanged.
ToolsListFilterResult filter_tools_list(std::string& body,
                                        const std::function<bool(std::string_view)>& may_call);

}  // namespace gw::policy

// An MCP server's `tools/list` answer as the policy layer filters it
// (policy::filter_tools_list): a JSON-RPC message or batch, or an event stream of them. The
// filter hides the tools a caller may not call; what it lets through must be exactly the
// allowed tools, so filtering its output again changes nothing.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "policy/tools_list_filter.hpp"

namespace {

// The caller may call tools whose name has an even length ("search", "get_time" ...).
bool may_call(std::string_view name) { return name.size() % 2 == 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string original(gw::fuzz::as_text(data, size));
  std::string body = original;
  const auto first = gw::policy::filter_tools_list(body, may_call);
  if (first.hidden == 0) GW_FUZZ_CHECK(body == original);  // rewritten only when a tool went

  const std::string filtered = body;
  const auto second = gw::policy::filter_tools_list(body, may_call);
  GW_FUZZ_CHECK(second.hidden == 0);
  GW_FUZZ_CHECK(body == filtered);
  return 0;
}

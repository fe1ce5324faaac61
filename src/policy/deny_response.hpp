#pragma once

#include <string>
#include <string_view>

#include "policy/policy.hpp"

namespace gw::policy {

// JSON-RPC error code of a policy denial on an MCP route. -32003 sits in the range JSON-RPC 2.0
// leaves to servers; -32000 and -32001 are avoided because the MCP SDKs already use them for
// "connection closed" and "request timeout", which clients would retry.
inline constexpr int kJsonRpcForbidden = -32003;
// JSON-RPC "Invalid Request": the Mcp-Method / Mcp-Name headers disagree with the body.
inline constexpr int kJsonRpcInvalidRequest = -32600;

// A human-readable sentence naming what was asked for and what is missing (no policy detail
// beyond the deciding rule's own requirements).
std::string deny_message(const Evaluation& evaluation, const PolicyRequest& request);

// {"error":{"code":"scope_missing","message":"...","required_roles":[...],
// "required_scopes":[...]}}; the lists only when a rule matched.
std::string error_body(const Evaluation& evaluation, std::string_view message);

// {"jsonrpc":"2.0","id":<id>,"error":{"code":..,"message":"...","data":{"reason":"...",
// "required_roles":[...],"required_scopes":[...]}}}. `id_json` is the request's JSON-RPC id as
// JSON text; anything but a string or a number becomes null.
std::string jsonrpc_error_body(std::string_view id_json, int code, const Evaluation& evaluation,
                               std::string_view message);

// RFC 6750 section 3: Bearer error="insufficient_scope", scope="a b".
std::string insufficient_scope_challenge(const Evaluation& evaluation);

}  // namespace gw::policy

#include "policy/deny_response.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/strings.hpp"

namespace gw::policy {
namespace {

boost::json::array to_array(std::span<const std::string> items) {
  boost::json::array out;
  out.reserve(items.size());
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

std::string subject(const Evaluation& e, const PolicyRequest& r) {
  if (e.rule.starts_with("models.") && r.model) return "model \"" + std::string(*r.model) + "\"";
  if (e.rule.starts_with("tools.")) return "tool \"" + std::string(r.tool) + "\"";
  if (e.rule.starts_with("routes.")) return "route \"" + std::string(r.route) + "\"";
  return "this request";
}

}  // namespace

std::string deny_message(const Evaluation& e, const PolicyRequest& r) {
  switch (e.reason) {
    case Reason::ModelNotAllowed:
      return "model \"" + std::string(r.model.value_or("")) + "\" is not allowed";
    case Reason::ToolNotAllowed:
      return "tool \"" + std::string(r.tool) + "\" is not allowed";
    case Reason::RoleMissing:
      return subject(e, r) + " requires one of the roles in required_roles";
    case Reason::ScopeMissing:
      return subject(e, r) + " requires every scope in required_scopes";
    case Reason::TenantNotAllowed:
      return subject(e, r) + " is not available to your tenant";
    case Reason::TeamNotAllowed:
      return subject(e, r) + " is not available to your team";
    case Reason::NoMatchingRule:
      return "no policy rule allows this request";
    case Reason::MissingToken:
      return "a verified identity is required";
    case Reason::McpMismatch:
      return "the Mcp-Method or Mcp-Name header disagrees with the request body";
    default:
      return "the request is not allowed";
  }
}

std::string error_body(const Evaluation& e, std::string_view message) {
  boost::json::object error;
  error["code"] = code(e.reason);
  error["message"] = message;
  if (!e.rule.empty()) {
    error["required_roles"] = to_array(e.required_roles);
    error["required_scopes"] = to_array(e.required_scopes);
  }
  boost::json::object body;
  body["error"] = std::move(error);
  return boost::json::serialize(body);
}

std::string jsonrpc_error_body(std::string_view id_json, int rpc_code, const Evaluation& e,
                               std::string_view message) {
  boost::json::value id;  // null
  if (!id_json.empty()) {
    boost::system::error_code ec;
    auto parsed = boost::json::parse(id_json, ec);
    if (!ec && (parsed.is_string() || parsed.is_number())) id = std::move(parsed);
  }
  boost::json::object data;
  data["reason"] = code(e.reason);
  if (!e.rule.empty()) {
    data["required_roles"] = to_array(e.required_roles);
    data["required_scopes"] = to_array(e.required_scopes);
  }
  boost::json::object error;
  error["code"] = rpc_code;
  error["message"] = message;
  error["data"] = std::move(data);
  boost::json::object body;
  body["jsonrpc"] = "2.0";
  body["id"] = std::move(id);
  body["error"] = std::move(error);
  return boost::json::serialize(body);
}

std::string insufficient_scope_challenge(const Evaluation& e) {
  std::string scopes;
  for (const auto& s : e.required_scopes) {
    if (!scopes.empty()) scopes += ' ';
    // A scope token never holds '"' or '\\' (RFC 6749 3.3); drop them rather than break the
    // quoted string.
    for (char c : sanitize_header_value(s)) {
      if (c != '"' && c != '\\') scopes += c;
    }
  }
  return "Bearer error=\"insufficient_scope\", scope=\"" + scopes + "\"";
}

}  // namespace gw::policy

#include "core/strings.hpp"
#include "proxy/forward.hpp"

namespace gw::proxy {
namespace {

namespace bhttp = boost::beast::http;

bool starts_with_i(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// RFC 9110 7.6.1: connection-specific fields, and any field the Connection header names.
bool is_hop_by_hop(std::string_view name, const std::vector<std::string>& connection_listed) {
  static constexpr std::string_view kHopByHop[] = {
      "connection",        "keep-alive",         "proxy-connection",   "te", "trailer", "upgrade",
      "transfer-encoding", "proxy-authenticate", "proxy-authorization"};
  for (auto h : kHopByHop) {
    if (iequals(name, h)) return true;
  }
  for (const auto& listed : connection_listed) {
    if (iequals(name, listed)) return true;
  }
  return false;
}

std::vector<std::string> connection_tokens(std::string_view value) {
  std::vector<std::string> out;
  for (auto& token : split(value, ", \t")) out.push_back(to_lower(token));
  return out;
}

bool is_identity_header(std::string_view name, const IdentityHeaderNames& names) {
  for (const auto* n :
       {&names.user_id, &names.email, &names.roles, &names.scopes, &names.tenant, &names.team}) {
    if (iequals(name, *n)) return true;
  }
  // The default assertion header too: a client must not hand a backend a forged assertion
  // on a route that does not sign one.
  return starts_with_i(name, "x-user-") || starts_with_i(name, "x-tenant-") ||
         starts_with_i(name, "x-team-") || iequals(name, "x-gateway-assertion");
}

// A client-sent X-Request-Id is kept only when it is short and plain.
bool is_sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

void set_if_present(bhttp::fields& out, const std::string& name, std::string_view value) {
  const std::string clean = sanitize_header_value(value);
  if (!clean.empty()) out.set(name, clean);
}

}  // namespace

bool accept_request_id(std::string_view id) { return is_sane_request_id(id); }

void build_upstream_headers(const RequestContext& ctx, const UpstreamConfig& up,
                            const IdentityHeaderNames& names, std::string_view assertion,
                            bhttp::fields& out) {
  std::vector<std::string> listed;
  std::string forwarded_for;
  for (const auto& [name, value] : ctx.headers) {
    if (iequals(name, "connection")) {
      auto tokens = connection_tokens(value);
      listed.insert(listed.end(), tokens.begin(), tokens.end());
    }
  }
  for (const auto& [name, value] : ctx.headers) {
    if (is_hop_by_hop(name, listed)) continue;
    if (iequals(name, "host") || iequals(name, "authorization") ||
        iequals(name, "content-length") || iequals(name, "expect") ||
        iequals(name, "x-request-id") || iequals(name, "x-forwarded-proto") ||
        iequals(name, "x-forwarded-host") || iequals(name, "forwarded")) {
      continue;
    }
    if (iequals(name, "x-forwarded-for")) {
      if (!forwarded_for.empty()) forwarded_for += ", ";
      forwarded_for += std::string(trim(value));
      continue;
    }
    if (is_identity_header(name, names)) continue;
    if (!up.credential_header.empty() && iequals(name, up.credential_header)) continue;
    if (!up.assertion.header.empty() && iequals(name, up.assertion.header)) continue;
    out.insert(name, value);
  }

  out.set(bhttp::field::host, up.endpoint.host_header);
  if (ctx.identity) {
    const auto& id = *ctx.identity;
    set_if_present(out, names.user_id, id.user_id);
    set_if_present(out, names.email, id.email);
    set_if_present(out, names.roles, join(id.roles, ","));
    set_if_present(out, names.scopes, join(id.scopes, " "));
    set_if_present(out, names.tenant, id.tenant);
    set_if_present(out, names.team, id.team);
  }
  if (!up.credential_header.empty()) out.set(up.credential_header, up.credential_value);
  if (!assertion.empty()) out.set(up.assertion.header, assertion);
  out.set("X-Request-Id", ctx.request_id);
  if (!forwarded_for.empty()) forwarded_for += ", ";
  forwarded_for += ctx.client_address;
  out.set("X-Forwarded-For", forwarded_for);
  out.set("X-Forwarded-Proto", ctx.is_tls ? "https" : "http");
  if (auto host = ctx.header("host"); !host.empty()) set_if_present(out, "X-Forwarded-Host", host);
}

void copy_response_headers(const bhttp::fields& in, bhttp::fields& out) {
  std::vector<std::string> listed;
  for (const auto& field : in) {
    if (field.name() != bhttp::field::connection) continue;
    auto tokens = connection_tokens(field.value());
    listed.insert(listed.end(), tokens.begin(), tokens.end());
  }
  for (const auto& field : in) {
    const auto name = field.name_string();
    if (is_hop_by_hop(name, listed) || iequals(name, "content-length") ||
        iequals(name, "x-request-id")) {
      continue;
    }
    out.insert(name, field.value());
  }
}

}  // namespace gw::proxy

#include <algorithm>
#include <array>
#include <boost/beast/http/status.hpp>
#include <boost/container/small_vector.hpp>
#include <charconv>

#include "core/strings.hpp"
#include "proxy/forward.hpp"

namespace gw::proxy {
namespace {

constexpr std::size_t kMaxKnownName = 24;

// Header names as backends compare them: ASCII case folded, and '_' taken as '-', since CGI,
// WSGI, Rack and PHP turn both X-User-Id and X_User_Id into HTTP_X_USER_ID.
constexpr char fold(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  return c == '_' ? '-' : c;
}

bool same_name(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

bool starts_with_name(std::string_view s, std::string_view folded_prefix) noexcept {
  return s.size() >= folded_prefix.size() &&
         same_name(s.substr(0, folded_prefix.size()), folded_prefix);
}

// Folds `name` into `buf` when it is short enough to be one of the names below (empty
// otherwise), and tells whether it has an underscore, in the same pass.
std::string_view fold_into(std::string_view name, std::array<char, kMaxKnownName>& buf,
                           bool& has_underscore) {
  if (name.size() > buf.size()) {
    has_underscore = name.find('_') != std::string_view::npos;
    return {};
  }
  bool underscore = false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    underscore = underscore || name[i] == '_';
    buf[i] = fold(name[i]);
  }
  has_underscore = underscore;
  return {buf.data(), name.size()};
}

// RFC 9110 7.6.1: connection-specific fields.
bool is_hop_by_hop(std::string_view lower) {
  static constexpr std::string_view kHopByHop[] = {
      "connection",        "keep-alive",         "proxy-connection",   "te", "trailer", "upgrade",
      "transfer-encoding", "proxy-authenticate", "proxy-authorization"};
  return std::find(std::begin(kHopByHop), std::end(kHopByHop), lower) != std::end(kHopByHop);
}

// Fields the gateway sets itself on the upstream request; client copies never pass.
bool is_replaced_by_gateway(std::string_view lower) {
  static constexpr std::string_view kReplaced[] = {
      "host",      "authorization",     "content-length",   "expect",         "x-request-id",
      "forwarded", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-for"};
  return std::find(std::begin(kReplaced), std::end(kReplaced), lower) != std::end(kReplaced);
}

// The values of every Connection field: the fields they name are hop-by-hop too (RFC 9110
// 7.6.1). Views into the fields, no copies: most messages carry one such value or none.
class ConnectionOptions {
 public:
  // Keeps the option names of one Connection value (a comma-separated list).
  void add(std::string_view value) {
    std::size_t start = 0;
    for (std::size_t i = 0; i <= value.size(); ++i) {
      if (i == value.size() || value[i] == ',' || value[i] == ' ' || value[i] == '\t') {
        if (i > start) names_.push_back(value.substr(start, i - start));
        start = i + 1;
      }
    }
  }

  bool names(std::string_view field) const noexcept {
    for (std::string_view name : names_) {
      if (same_name(field, name)) return true;
    }
    return false;
  }

 private:
  boost::container::small_vector<std::string_view, 4> names_;
};

bool is_identity_header(std::string_view name, const IdentityHeaderNames& names) {
  for (const auto* n :
       {&names.user_id, &names.email, &names.roles, &names.scopes, &names.tenant, &names.team}) {
    if (same_name(name, *n)) return true;
  }
  // The default assertion header too: a client must not hand a backend a forged assertion
  // on a route that does not sign one.
  return starts_with_name(name, "x-user-") || starts_with_name(name, "x-tenant-") ||
         starts_with_name(name, "x-team-") || same_name(name, "x-gateway-assertion");
}

void add_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// Claim values may hold anything: control characters are removed, empty values omitted.
void add_clean(std::string& out, std::string_view name, std::string_view value) {
  value = trim(value);
  if (is_safe_header_value(value)) {  // the common case: no copy
    if (!value.empty()) add_field(out, name, value);
    return;
  }
  const std::string clean = sanitize_header_value(value);
  if (!clean.empty()) add_field(out, name, clean);
}

// add_clean of the parts joined by `separator`, joined in place in `out`.
void add_joined(std::string& out, std::string_view name, const std::vector<std::string>& parts,
                std::string_view separator) {
  if (parts.empty()) return;
  const std::size_t field_start = out.size();
  out.append(name).append(": ");
  const std::size_t value_start = out.size();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i != 0) out.append(separator);
    out.append(parts[i]);
  }
  const std::string_view joined = std::string_view(out).substr(value_start);
  if (!is_safe_header_value(joined)) {
    const std::string clean = sanitize_header_value(joined);
    out.resize(field_start);
    if (!clean.empty()) add_field(out, name, clean);
    return;
  }
  const std::string_view value = trim(joined);
  if (value.empty()) {
    out.resize(field_start);
    return;
  }
  const std::size_t leading = static_cast<std::size_t>(value.data() - joined.data());
  const std::size_t length = value.size();
  out.erase(value_start, leading);
  out.resize(value_start + length);
  out.append("\r\n");
}

void add_number(std::string& out, std::uint64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(std::begin(digits), std::end(digits), value);
  (void)ec;
  out.append(digits, end);
}

void add_framing(std::string& out, const Framing& framing) {
  switch (framing.kind) {
    case Framing::Kind::Length:
      out.append("Content-Length: ");
      add_number(out, framing.length);
      out.append("\r\n");
      break;
    case Framing::Kind::Chunked:
      out.append("Transfer-Encoding: chunked\r\n");
      break;
    case Framing::Kind::None:
      break;
  }
}

}  // namespace

// A client-sent X-Request-Id is kept only when it is short and plain.
bool accept_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

void write_identity_headers(const Identity& id, const IdentityHeaderNames& names,
                            std::string& out) {
  add_clean(out, names.user_id, id.user_id);
  add_clean(out, names.email, id.email);
  add_joined(out, names.roles, id.roles, ",");
  add_joined(out, names.scopes, id.scopes, " ");
  add_clean(out, names.tenant, id.tenant);
  add_clean(out, names.team, id.team);
}

void build_upstream_headers(const RequestContext& ctx, const UpstreamConfig& up,
                            const IdentityHeaderNames& names, UnderscoreHeaders underscores,
                            std::string_view assertion, std::string& out) {
  ConnectionOptions listed;
  for (const auto& [name, value] : ctx.headers) {
    if (iequals(name, "connection")) listed.add(value);
  }
  // Stages read the answers of MCP routes (tools/list filtering) and model routes (token
  // usage): those are asked for unencoded, whatever the client accepts.
  const bool answer_is_read = ctx.route && ctx.route->answers_are_read();
  std::string forwarded_for;
  std::array<char, kMaxKnownName> buf;
  for (const auto& [name, value] : ctx.headers) {
    // Every comparison below folds '_' into '-': a name the gateway strips or sets is
    // dropped in every spelling, whatever `underscores` says.
    bool has_underscore = false;
    const std::string_view folded = fold_into(name, buf, has_underscore);
    if (!folded.empty() && (is_hop_by_hop(folded) || is_replaced_by_gateway(folded))) {
      if (folded == "x-forwarded-for" && !has_underscore) {
        if (!forwarded_for.empty()) forwarded_for += ", ";
        forwarded_for += trim(value);
      }
      continue;
    }
    if (answer_is_read && folded == "accept-encoding") continue;
    if (listed.names(name)) continue;
    if (is_identity_header(name, names)) continue;
    if (!up.credential_header.empty() && same_name(name, up.credential_header)) continue;
    if (!up.assertion.header.empty() && same_name(name, up.assertion.header)) continue;
    // Reject never gets here (the server refused the request); dropping is its safe reading.
    if (has_underscore && underscores != UnderscoreHeaders::Pass) continue;
    add_field(out, name, value);
  }

  add_field(out, "Host", up.endpoint.host_header);
  if (answer_is_read) add_field(out, "Accept-Encoding", "identity");
  if (ctx.identity) write_identity_headers(*ctx.identity, names, out);
  if (!up.credential_header.empty()) {
    add_field(out, up.credential_header, up.credential_value);
  }
  if (!assertion.empty()) add_field(out, up.assertion.header, assertion);
  add_field(out, "X-Request-Id", ctx.request_id);
  if (!forwarded_for.empty()) forwarded_for += ", ";
  forwarded_for += ctx.client_address;
  add_field(out, "X-Forwarded-For", forwarded_for);
  add_field(out, "X-Forwarded-Proto", ctx.is_tls ? "https" : "http");
  if (auto host = ctx.header("host"); !host.empty()) add_clean(out, "X-Forwarded-Host", host);
}

void copy_response_headers(std::span<const http::ResponseField> in, std::string& out,
                           bool drop_content_encoding) {
  using bhttp::field;
  // The parser already classified every known name: no string comparison for those.
  ConnectionOptions listed;
  for (const auto& f : in) {
    if (f.id == field::connection) listed.add(f.value);
  }
  for (const auto& f : in) {
    switch (f.id) {
      case field::connection:
      case field::keep_alive:
      case field::proxy_connection:
      case field::te:
      case field::trailer:
      case field::upgrade:
      case field::transfer_encoding:
      case field::proxy_authenticate:
      case field::proxy_authorization:
      case field::content_length:
        continue;
      case field::content_encoding:
        if (drop_content_encoding) continue;
        break;
      case field::unknown:
        if (iequals(f.name, "x-request-id")) continue;
        break;
      default:
        break;
    }
    if (listed.names(f.name)) continue;
    add_field(out, f.name, f.value);
  }
}

void write_upstream_head(const RequestContext& ctx, const UpstreamConfig& up,
                         const IdentityHeaderNames& names, UnderscoreHeaders underscores,
                         std::string_view assertion, const Framing& framing, std::string& out) {
  out.append(ctx.method).append(" ");
  const std::string_view target = ctx.route->upstream_target;
  if (up.endpoint.base_path.empty() && (target.empty() || target.front() != '/')) out += '/';
  out.append(up.endpoint.base_path).append(target).append(" HTTP/1.1\r\n");
  build_upstream_headers(ctx, up, names, underscores, assertion, out);
  add_framing(out, framing);
  out.append("\r\n");
}

void write_response_head(const ResponseHeadSpec& spec, const RequestContext& ctx, std::string& out,
                         std::string_view fields) {
  out.append(spec.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  add_number(out, static_cast<std::uint64_t>(spec.status));
  out += ' ';
  std::string_view reason = spec.reason;
  if (reason.empty()) {
    const auto known =
        boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(spec.status));
    if (!known.empty() && known.front() != '<')
      reason = std::string_view(known.data(), known.size());
  }
  out.append(reason).append("\r\n");
  copy_response_headers(spec.upstream_headers, out, spec.drop_content_encoding);
  out.append(fields);
  add_field(out, "X-Request-Id", ctx.request_id);
  for (const auto& [name, value] : ctx.response_headers) add_field(out, name, value);
  add_framing(out, spec.framing);
  // HTTP/1.1 is persistent unless told otherwise; HTTP/1.0 only when told so.
  if (spec.version == 10) {
    if (spec.keep_alive) out.append("Connection: keep-alive\r\n");
  } else if (!spec.keep_alive) {
    out.append("Connection: close\r\n");
  }
  out.append("\r\n");
}

}  // namespace gw::proxy

#include "identity/claim_mapping.hpp"

#include <algorithm>
#include <memory>

namespace gw::identity {
namespace {

constexpr std::size_t kMaxListEntries = 256;

// A scalar claim as text: strings as they are, integers in decimal.
std::string scalar_text(const boost::json::value& value) {
  if (value.is_string()) return std::string(value.get_string());
  if (value.is_int64()) return std::to_string(value.get_int64());
  if (value.is_uint64()) return std::to_string(value.get_uint64());
  return {};
}

std::string first_scalar(const boost::json::object& claims, const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    if (const auto* value = find_claim(claims, path)) {
      std::string text = scalar_text(*value);
      if (!text.empty()) return text;
    }
  }
  return {};
}

std::vector<std::string> union_of(const boost::json::object& claims,
                                  const std::vector<std::string>& paths, bool split_spaces) {
  std::vector<std::string> out;
  for (const auto& path : paths) {
    const auto* value = find_claim(claims, path);
    if (value == nullptr) continue;
    for (auto& item : claim_strings(*value, split_spaces)) {
      if (out.size() >= kMaxListEntries) return out;
      if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(std::move(item));
    }
  }
  return out;
}

void split_into(std::string_view text, std::vector<std::string>& out) {
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
}

}  // namespace

const boost::json::value* find_claim(const boost::json::object& claims, std::string_view path) {
  if (path.empty()) return nullptr;
  if (const auto* whole = claims.if_contains(path)) return whole;
  const boost::json::object* current = &claims;
  while (true) {
    const auto dot = path.find('.');
    const auto* value = current->if_contains(path.substr(0, dot));
    if (value == nullptr) return nullptr;
    if (dot == std::string_view::npos) return value;
    if (!value->is_object()) return nullptr;
    current = &value->get_object();
    path.remove_prefix(dot + 1);
  }
}

std::vector<std::string> claim_strings(const boost::json::value& value, bool split_spaces) {
  std::vector<std::string> out;
  if (value.is_string()) {
    if (split_spaces) {
      split_into(value.get_string(), out);
    } else if (!value.get_string().empty()) {
      out.emplace_back(value.get_string());
    }
  } else if (value.is_array()) {
    for (const auto& item : value.get_array()) {
      if (item.is_string() && !item.get_string().empty()) out.emplace_back(item.get_string());
      if (out.size() >= kMaxListEntries) break;
    }
  }
  return out;
}

Result<Identity> map_claims(const boost::json::object& claims, const ClaimPaths& paths) {
  Identity identity;
  identity.user_id = first_scalar(claims, paths.user_id);
  if (identity.user_id.empty()) return make_error(Reason::MissingSubject, "no user id in token");
  identity.email = first_scalar(claims, paths.email);
  identity.tenant = first_scalar(claims, paths.tenant);
  identity.team = first_scalar(claims, paths.team);
  identity.roles = union_of(claims, paths.roles, false);
  identity.scopes = union_of(claims, paths.scopes, true);
  if (const auto* iss = claims.if_contains("iss"); iss && iss->is_string()) {
    identity.issuer = std::string(iss->get_string());
  }
  if (const auto* aud = claims.if_contains("aud")) identity.audiences = claim_strings(*aud, false);
  for (std::string_view name : {"azp", "client_id", "appid"}) {
    if (const auto* v = claims.if_contains(name); v && v->is_string()) {
      identity.client_id = std::string(v->get_string());
      break;
    }
  }
  identity.claims = std::make_shared<const boost::json::object>(claims);
  return identity;
}

}  // namespace gw::identity

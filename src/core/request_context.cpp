#include "core/request_context.hpp"

#include "core/strings.hpp"

namespace gw {

std::string_view to_string(ApiKind kind) noexcept {
  switch (kind) {
    case ApiKind::Generic:
      return "generic";
    case ApiKind::OpenAI:
      return "openai";
    case ApiKind::Anthropic:
      return "anthropic";
    case ApiKind::Mcp:
      return "mcp";
  }
  return "generic";
}

std::string_view to_string(Decision decision) noexcept {
  switch (decision) {
    case Decision::None:
      return "none";
    case Decision::Allow:
      return "allow";
    case Decision::Deny:
      return "deny";
    case Decision::ShadowDeny:
      return "shadow_deny";
  }
  return "none";
}

std::string_view to_string(Phase phase) noexcept {
  switch (phase) {
    case Phase::Identity:
      return "identity";
    case Phase::Route:
      return "route";
    case Phase::Policy:
      return "policy";
    case Phase::Content:
      return "content";
    case Phase::Limits:
      return "limits";
    case Phase::Other:
      return "other";
  }
  return "other";
}

std::string_view RequestContext::header(std::string_view name) const noexcept {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

std::size_t RequestContext::header_count(std::string_view name) const noexcept {
  std::size_t n = 0;
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) ++n;
  }
  return n;
}

}  // namespace gw

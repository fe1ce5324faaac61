#include "core/json_members.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <limits>

namespace gw {
namespace {

namespace json = boost::json;
using boost::system::error_code;

constexpr std::size_t kMaxDepth = 64;

// A basic_parser handler that validates and discards, keeping only the characters of a string
// when asked (a key).
struct SkipHandler {
  static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();

  std::string* string_text = nullptr;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) { return true; }
  bool on_object_end(std::size_t, error_code&) { return true; }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t, error_code&) { return true; }
  bool on_key_part(json::string_view, std::size_t, error_code&) { return true; }
  bool on_key(json::string_view, std::size_t, error_code&) { return true; }
  bool on_string_part(json::string_view s, std::size_t, error_code&) { return keep(s); }
  bool on_string(json::string_view s, std::size_t, error_code&) { return keep(s); }
  bool on_number_part(json::string_view, error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, error_code&) { return true; }
  bool on_double(double, json::string_view, error_code&) { return true; }
  bool on_bool(bool, error_code&) { return true; }
  bool on_null(error_code&) { return true; }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }

  bool keep(json::string_view s) {
    if (string_text != nullptr) string_text->append(s.data(), s.size());
    return true;
  }
};

bool is_json_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_space(std::string_view text, std::size_t pos) noexcept {
  while (pos < text.size() && is_json_space(text[pos])) ++pos;
  return pos;
}

Error invalid(std::string detail) {
  return make_error(Reason::InvalidJson, "the request body is not valid JSON: " + detail);
}

// Parses the one JSON value that starts at text[pos] and returns the offset just past it.
// The parser reports how far it read, which its handler is never told: hence one parser per
// value rather than one for the whole text. `string_text` receives a string value's
// characters, unescaped.
Result<std::size_t> parse_value(std::string_view text, std::size_t pos,
                                std::string* string_text = nullptr) {
  json::parse_options options;
  options.max_depth = kMaxDepth;
  json::basic_parser<SkipHandler> parser(options);
  parser.handler().string_text = string_text;
  error_code ec;
  const std::size_t read = parser.write_some(false, text.data() + pos, text.size() - pos, ec);
  if (ec) return invalid(ec.message());
  // The parser also takes the whitespace after the value.
  std::size_t end = pos + read;
  while (end > pos && is_json_space(text[end - 1])) --end;
  return end;
}

Error unexpected(std::string_view text, std::size_t pos, std::string_view expected) {
  if (pos >= text.size())
    return invalid("the text ends where " + std::string(expected) + " was expected");
  return invalid("expected " + std::string(expected) + " at offset " + std::to_string(pos));
}

}  // namespace

Result<JsonObjectLayout> locate_members(std::string_view text) {
  auto layout = locate_members_at(text, 0);
  if (layout && skip_space(text, layout->close + 1) != text.size()) {
    return invalid("unexpected text after the object at offset " +
                   std::to_string(layout->close + 1));
  }
  return layout;
}

Result<JsonObjectLayout> locate_members_at(std::string_view text, std::size_t from) {
  JsonObjectLayout layout;
  std::size_t pos = skip_space(text, from);
  if (pos >= text.size() || text[pos] != '{') {
    return make_error(Reason::InvalidJson, "the request body must be a JSON object");
  }
  layout.open = pos;
  pos = skip_space(text, pos + 1);
  if (pos < text.size() && text[pos] == '}') {
    layout.close = pos;
    return layout;
  }
  while (true) {
    if (pos >= text.size() || text[pos] != '"') return unexpected(text, pos, "a member name");
    JsonMember member;
    auto key_end = parse_value(text, pos, &member.key);
    if (!key_end) return key_end.error();
    pos = skip_space(text, *key_end);
    if (pos >= text.size() || text[pos] != ':') return unexpected(text, pos, "':'");
    member.value_begin = skip_space(text, pos + 1);
    if (member.value_begin >= text.size()) return unexpected(text, member.value_begin, "a value");
    auto value_end = parse_value(text, member.value_begin);
    if (!value_end) return value_end.error();
    member.value_end = *value_end;
    layout.members.push_back(std::move(member));
    pos = skip_space(text, *value_end);
    if (pos < text.size() && text[pos] == ',') {
      pos = skip_space(text, pos + 1);
      continue;
    }
    if (pos < text.size() && text[pos] == '}') {
      layout.close = pos;
      return layout;
    }
    return unexpected(text, pos, "',' or '}'");
  }
}

Result<const JsonMember*> find_member(const JsonObjectLayout& layout, std::string_view key) {
  const JsonMember* found = nullptr;
  for (const auto& member : layout.members) {
    if (member.key != key) continue;
    if (found != nullptr) {
      return make_error(Reason::InvalidJson,
                        "the request body has more than one \"" + std::string(key) + "\" member");
    }
    found = &member;
  }
  return found;
}

Result<void> set_member(std::string& text, const JsonObjectLayout& layout, std::string_view key,
                        std::string_view value_json) {
  auto found = find_member(layout, key);
  if (!found) return found.error();
  if (const JsonMember* member = *found) {
    text.replace(member->value_begin, member->value_end - member->value_begin, value_json);
    return {};
  }
  std::string addition = layout.members.empty() ? "" : ",";
  addition += json::serialize(json::string(key));
  addition += ':';
  addition += value_json;
  const std::size_t at = layout.members.empty() ? layout.open + 1 : layout.members.back().value_end;
  text.insert(at, addition);
  return {};
}

}  // namespace gw

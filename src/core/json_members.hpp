#pragma once

// The members of a JSON object located in its raw text, so that one member can be set while
// every other byte stays as the client sent it (numbers, escapes, whitespace, key order).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace gw {

// One member of a JSON object, located in the text it was read from.
struct JsonMember {
  std::string key;              // decoded: "us\u0065r" is "user"
  std::size_t value_begin = 0;  // the value's first byte
  std::size_t value_end = 0;    // one past its last byte
};

struct JsonObjectLayout {
  std::size_t open = 0;             // offset of the '{'
  std::size_t close = 0;            // offset of the '}'
  std::vector<JsonMember> members;  // in text order, duplicates included
};

// Locates the members of the JSON object that is the whole of `text` (whitespace around it
// allowed). Every key and value is read by Boost.JSON's parser; invalid JSON, or a document
// that is not an object, is an invalid_json error.
Result<JsonObjectLayout> locate_members(std::string_view text);
// The same for the object that starts at `text[from]` (after optional whitespace), such as a
// member's value; the text after it is not looked at.
Result<JsonObjectLayout> locate_members_at(std::string_view text, std::size_t from);

// The member called `key`: null when absent, an invalid_json error when the object has it
// more than once (parsers disagree on which copy counts).
Result<const JsonMember*> find_member(const JsonObjectLayout& layout, std::string_view key);

// Sets member `key` of the object `layout` describes in `text` to `value_json` (serialised
// JSON), changing no other byte: the value of the member is replaced, or `"key":value` is
// appended after the last member. An invalid_json error when the key appears more than once.
Result<void> set_member(std::string& text, const JsonObjectLayout& layout, std::string_view key,
                        std::string_view value_json);

}  // namespace gw

#include "json_writer.h"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "field_visibility.h"

namespace stagegate::routing {

namespace {

// Eight bytes at a time: whether any is a control character, '"' or '\\' (bytes of 0x80 and
// up, UTF-8's, are none of these). Names and places make most of a payload; nearly all of it
// needs no escape, and a byte-by-byte scan was the writer's whole cost.
bool needs_escape(std::uint64_t eight) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const auto zero_byte = [](std::uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const std::uint64_t control = (eight - kOnes * 0x20) & ~eight & kHigh;
  return (control | zero_byte(eight ^ (kOnes * '"')) | zero_byte(eight ^ (kOnes * '\\'))) != 0;
}

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

}  // namespace

void JsonWriter::string(std::string_view value) {
  out_ += '"';
  // Runs of characters that need no escape (nearly all of them) are appended at once.
  std::size_t run = 0;
  std::size_t i = 0;
  while (i < value.size()) {
    if (value.size() - i >= 8) {
      std::uint64_t eight;
      std::memcpy(&eight, value.data() + i, 8);
      if (!needs_escape(eight)) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(value[i]);
    ++i;
    if (!needs_escape(c)) continue;
    out_.append(value.data() + run, i - 1 - run);
    run = i;
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default: {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
        out_ += escaped;
      }
    }
  }
  out_.append(value.data() + run, value.size() - run);
  out_ += '"';
}

JsonWriter::JsonWriter(const FieldFilter& keep) {
  out_.reserve(kTypicalSize);
  if (!keep) return;
  filtered_ = true;
  if (const auto* resolved = keep.target<ResolvedVisibility>()) shown_fields_ = resolved->visibility->shown_fields();
  else ask_ = &keep;
}

void JsonWriter::number(std::int64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out_.append(digits, end);
}

bool JsonWriter::kept(KnownField field) {
  if (!filtered_) return true;
  const bool keep = ask_ ? (*ask_)(path_of(field)) : (shown_fields_ & bit_of(field)) != 0;
  if (keep && depth_ > 1) object_has_fields_ = true;
  return keep;
}

JsonWriter& JsonWriter::begin_object() {
  ++depth_;
  if (need_comma_) out_ += ',';
  out_ += '{';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::begin_object(KnownField object) {
  if (filtered_ && depth_ == 1) {
    object_start_ = out_.size();
    comma_before_object_ = need_comma_;
    object_has_fields_ = false;
  }
  ++depth_;
  known_key(object);
  out_ += '{';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  if (filtered_ && depth_ == 2 && !object_has_fields_) {
    out_.resize(object_start_);
    need_comma_ = comma_before_object_;
    --depth_;
    return *this;
  }
  --depth_;
  out_ += '}';
  need_comma_ = true;
  return *this;
}

// A known field's key is a plain identifier: written as it is, without the escape scan.
void JsonWriter::known_key(KnownField known) {
  if (need_comma_) out_ += ',';
  out_ += '"';
  out_.append(key_of(known));
  out_.append("\":", 2);
}

JsonWriter& JsonWriter::field(KnownField known, std::string_view value) {
  if (!kept(known)) return *this;
  known_key(known);
  string(value);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::field(KnownField known, std::int64_t value) {
  if (!kept(known)) return *this;
  known_key(known);
  number(value);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::optional_field(KnownField known, std::string_view value) {
  return value.empty() ? *this : field(known, value);
}

}  // namespace stagegate::routing

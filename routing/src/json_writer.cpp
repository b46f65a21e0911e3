#include "json_writer.h"

#include <cstdint>
#include <cstdio>
#include <cstring>

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

void JsonWriter::key(std::string_view name) {
  if (need_comma_) out_ += ',';
  if (!name.empty()) {
    string(name);
    out_ += ':';
  }
}

bool JsonWriter::kept(std::string_view name) {
  if (!keep_) return true;
  if (depth_ <= 1) return (*keep_)(name);
  std::string path;
  path.reserve(object_.size() + 1 + name.size());
  path.append(object_).append(1, '.').append(name);
  if (!(*keep_)(path)) return false;
  object_has_fields_ = true;
  return true;
}

JsonWriter& JsonWriter::begin_object(std::string_view name) {
  ++depth_;
  if (keep_ && depth_ == 2) {
    object_.assign(name);
    object_start_ = out_.size();
    comma_before_object_ = need_comma_;
    object_has_fields_ = false;
  }
  key(name);
  out_ += '{';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  if (keep_ && depth_ == 2 && !object_has_fields_) {
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

JsonWriter& JsonWriter::field(std::string_view name, std::string_view value) {
  if (!kept(name)) return *this;
  key(name);
  string(value);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::field(std::string_view name, std::int64_t value) {
  if (!kept(name)) return *this;
  key(name);
  out_ += std::to_string(value);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::optional_field(std::string_view name, std::string_view value) {
  return value.empty() ? *this : field(name, value);
}

}  // namespace stagegate::routing

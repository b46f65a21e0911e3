#include "json_writer.h"

#include <cstdio>

namespace stagegate::routing {

void JsonWriter::string(std::string_view value) {
  out_ += '"';
  for (const char c : value) {
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out_ += escaped;
        } else {
          out_ += c;
        }
    }
  }
  out_ += '"';
}

void JsonWriter::key(std::string_view name) {
  if (need_comma_) out_ += ',';
  if (!name.empty()) {
    string(name);
    out_ += ':';
  }
}

JsonWriter& JsonWriter::begin_object(std::string_view name) {
  key(name);
  out_ += '{';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::field(std::string_view name, std::string_view value) {
  key(name);
  string(value);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::field(std::string_view name, std::int64_t value) {
  key(name);
  out_ += std::to_string(value);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::optional_field(std::string_view name, std::string_view value) {
  return value.empty() ? *this : field(name, value);
}

}  // namespace stagegate::routing

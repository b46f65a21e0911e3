#pragma once
// A compact JSON writer: objects, strings, numbers. UTF-8 passes through; quotes, backslash
// and control characters are escaped.
#include <cstdint>
#include <string>
#include <string_view>

namespace stagegate::routing {

class JsonWriter {
 public:
  JsonWriter& begin_object(std::string_view key = {});
  JsonWriter& end_object();
  JsonWriter& field(std::string_view key, std::string_view value);
  JsonWriter& field(std::string_view key, std::int64_t value);
  // Only when the value is non-empty: optional fields are omitted, not null.
  JsonWriter& optional_field(std::string_view key, std::string_view value);
  std::string take() { return std::move(out_); }

 private:
  void key(std::string_view name);
  void string(std::string_view value);
  std::string out_;
  bool need_comma_ = false;
};

}  // namespace stagegate::routing

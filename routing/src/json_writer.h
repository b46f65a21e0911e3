#pragma once
// A compact JSON writer: objects, strings, numbers. UTF-8 passes through; quotes, backslash
// and control characters are escaped.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace stagegate::routing {

class JsonWriter {
 public:
  // With `keep`, a field is written only when keep("name") (top level) or keep("object.name")
  // says so, and an object left empty is dropped: a destination's reduced copy is written
  // from the value, never by parsing the whole JSON back.
  using Keep = std::function<bool(std::string_view path)>;
  JsonWriter() { out_.reserve(1024); }
  explicit JsonWriter(const Keep& keep) : keep_(keep ? &keep : nullptr) { out_.reserve(1024); }

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
  bool kept(std::string_view name);
  std::string out_;
  bool need_comma_ = false;
  const Keep* keep_ = nullptr;
  int depth_ = 0;
  std::string object_;              // the open object's name at depth 2 (paths are one or two levels)
  std::size_t object_start_ = 0;    // where that object began in out_, to drop it if nothing was kept
  bool comma_before_object_ = false;
  bool object_has_fields_ = false;
};

}  // namespace stagegate::routing

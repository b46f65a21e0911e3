#pragma once
// A compact JSON writer: objects, strings, numbers. UTF-8 passes through; quotes, backslash
// and control characters are escaped.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "known_fields.h"
#include "stagegate/routing/normalize.h"

namespace stagegate::routing {

class JsonWriter {
 public:
  JsonWriter() { out_.reserve(kTypicalSize); }
  // With `keep`, a known field is written only when it keeps the field's path ("name" at the
  // top level, "object.name" inside an object), and an object left empty is dropped: a
  // destination's reduced copy is written from the value, never by parsing the whole JSON
  // back. A destination's filter from RoutingRules::route is one bit test per field; any
  // other filter is asked by path.
  explicit JsonWriter(const FieldFilter& keep);

  // The message's own object (no filter applies to it).
  JsonWriter& begin_object();

  // Known fields of the message schemas: written when the filter keeps them.
  JsonWriter& begin_object(KnownField object);
  JsonWriter& field(KnownField field, std::string_view value);
  JsonWriter& field(KnownField field, std::int64_t value);
  // Only when the value is non-empty: optional fields are omitted, not null.
  JsonWriter& optional_field(KnownField field, std::string_view value);

  JsonWriter& end_object();
  std::string take() { return std::move(out_); }

 private:
  // A whole stage notification in Cyrillic is about 900 bytes: one allocation per payload.
  static constexpr std::size_t kTypicalSize = 1024;
  void known_key(KnownField known);
  void string(std::string_view value);
  void number(std::int64_t value);
  bool kept(KnownField field);
  std::string out_;
  bool need_comma_ = false;
  bool filtered_ = false;
  const FieldFilter* ask_ = nullptr;   // a filter asked by path; without it, shown_fields_
  std::uint64_t shown_fields_ = 0;     // bit_of(field) per kept field
  int depth_ = 0;
  std::size_t object_start_ = 0;       // where the open object at depth 2 began in out_, to drop it if nothing was kept
  bool comma_before_object_ = false;
  bool object_has_fields_ = false;
};

}  // namespace stagegate::routing

#include "datetime.h"

namespace stagegate::routing {
namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool digits(std::size_t count, int& out) {
    if (text_.size() - at_ < count) return false;
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text_[at_ + i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    at_ += count;
    out = value;
    return true;
  }
  bool literal(char c) {
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  bool peek_is(char c) const { return at_ < text_.size() && text_[at_] == c; }
  bool done() const { return at_ == text_.size(); }
  bool fraction() {  // '.' followed by one or more digits
    if (!literal('.')) return true;
    const auto start = at_;
    while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
    return at_ > start;
  }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
};

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

bool read_date(Cursor& cursor, int& year, int& month, int& day) {
  return cursor.digits(4, year) && cursor.literal('-') && cursor.digits(2, month) && cursor.literal('-') &&
         cursor.digits(2, day) && valid_calendar_date(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

// Z, +hh:mm, -hh:mm or nothing; returns false on a malformed or out-of-range offset.
bool read_offset(Cursor& cursor, bool& has_offset, int& offset_seconds) {
  has_offset = false;
  offset_seconds = 0;
  if (cursor.literal('Z')) {
    has_offset = true;
    return true;
  }
  int sign = 0;
  if (cursor.literal('+')) sign = 1;
  else if (cursor.literal('-')) sign = -1;
  else return true;
  int hours = 0;
  int minutes = 0;
  if (!cursor.digits(2, hours) || !cursor.literal(':') || !cursor.digits(2, minutes)) return false;
  if (hours > 14 || minutes > 59 || (hours == 14 && minutes != 0)) return false;
  has_offset = true;
  offset_seconds = sign * (hours * 3600 + minutes * 60);
  return true;
}

}  // namespace

bool valid_calendar_date(int year, unsigned month, unsigned day) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const unsigned last = kDays[month - 1] + (month == 2 && is_leap(year) ? 1 : 0);
  return day <= last;
}

std::int64_t days_from_civil(int year, unsigned month, unsigned day) {
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

std::optional<DateTime> parse_datetime(std::string_view text) {
  Cursor cursor(text);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_date(cursor, year, month, day) || !cursor.literal('T') || !cursor.digits(2, hour) || !cursor.literal(':') ||
      !cursor.digits(2, minute) || !cursor.literal(':') || !cursor.digits(2, second) || !cursor.fraction())
    return std::nullopt;
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  DateTime result;
  int offset = 0;
  if (!read_offset(cursor, result.has_offset, offset) || !cursor.done()) return std::nullopt;
  result.utc_seconds = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
                       hour * 3600 + minute * 60 + second - offset;
  return result;
}

std::optional<DateTime> parse_date(std::string_view text) {
  Cursor cursor(text);
  int year = 0, month = 0, day = 0;
  if (!read_date(cursor, year, month, day)) return std::nullopt;
  DateTime result;
  int offset = 0;
  if (!read_offset(cursor, result.has_offset, offset) || !cursor.done()) return std::nullopt;
  result.utc_seconds = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 - offset;
  return result;
}

}  // namespace stagegate::routing

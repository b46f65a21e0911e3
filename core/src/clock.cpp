#include "stagegate/core/clock.h"

#include <cstdio>
#include <ctime>

namespace stagegate {
namespace {

// The general form (any year, times before 1970), as gmtime and printf give it.
std::string format_utc_printf(std::chrono::system_clock::time_point when) {
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis % 1000));
  return text;
}

void put_digits(char* at, unsigned value, int count) {
  for (int i = count - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
}

}  // namespace

// Several times per message (receipt, response, log line, normalized event): digits written
// directly; printf's format parsing was most of the cost.
std::string format_utc(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto millis = floor<milliseconds>(when);
  const auto day = floor<days>(millis);
  const year_month_day date{day};
  const int year = static_cast<int>(date.year());
  if (millis.time_since_epoch().count() < 0 || year > 9999) return format_utc_printf(when);
  const hh_mm_ss time{millis - day};
  std::string text(24, '\0');
  put_digits(&text[0], static_cast<unsigned>(year), 4);
  text[4] = '-';
  put_digits(&text[5], static_cast<unsigned>(date.month()), 2);
  text[7] = '-';
  put_digits(&text[8], static_cast<unsigned>(date.day()), 2);
  text[10] = 'T';
  put_digits(&text[11], static_cast<unsigned>(time.hours().count()), 2);
  text[13] = ':';
  put_digits(&text[14], static_cast<unsigned>(time.minutes().count()), 2);
  text[16] = ':';
  put_digits(&text[17], static_cast<unsigned>(time.seconds().count()), 2);
  text[19] = '.';
  put_digits(&text[20], static_cast<unsigned>(time.subseconds().count()), 3);
  text[23] = 'Z';
  return text;
}

}  // namespace stagegate

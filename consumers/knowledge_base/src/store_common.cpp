#include <chrono>

#include "stagegate/knowledge_base/store.h"
#include "stagegate/monitoring/calendar.h"
#include "stagegate/monitoring/store.h"

namespace stagegate::knowledge_base {

std::string kazakhstan_date(const std::string& utc) {
  const std::string date = utc.substr(0, 10);
  if (utc.size() < 13 || utc[10] != 'T' || utc.back() != 'Z') return date;
  try {
    const int hour = std::stoi(utc.substr(11, 2));
    if (hour + 5 < 24) return date;
    const auto day = std::chrono::sys_days(monitoring::parse_date(date)) + std::chrono::days(1);
    return monitoring::format_date(monitoring::Date(day));
  } catch (const std::exception&) {
    return date;
  }
}

bool is_event_kind(const std::string& kind) {
  for (const char* known : kEventKinds)
    if (kind == known) return true;
  return false;
}

std::unique_ptr<KnowledgeStore> open_knowledge_store(const std::string& location) {
  if (monitoring::names_postgres(location)) return open_postgres_knowledge_store(location);
  return open_sqlite_knowledge_store(location);
}

}  // namespace stagegate::knowledge_base

#include "stagegate/knowledge_base/wording.h"

namespace stagegate::knowledge_base {
namespace {

// "2026-11-20T10:42:00+05:00" -> "2026-11-20 10:42" (the provider's local time, as sent).
std::string shown_time(const std::string& date_time) {
  if (date_time.size() >= 16 && date_time[10] == 'T') return date_time.substr(0, 10) + " " + date_time.substr(11, 5);
  return date_time;
}

}  // namespace

Wording stage_wording(int stage) {
  switch (stage) {
    case 1: return {"көрсетілетін қызметті алушыдан қабылданды", "принято от услугополучателя"};
    case 2: return {"орындауға жіберілді", "отправлено на исполнение"};
    case 3: return {"жұмысқа қабылданды", "принято в работу"};
    case 4: return {"орындалды (сұрау бойынша жұмыстар аяқталды)", "исполнено (работы по запросу завершены)"};
    case 5: return {"беруді күтуде", "ожидает выдачи"};
    case 6: return {"жабылды (берілді немесе бас тартылды)", "закрыто (выдано или отказано)"};
    default: return {"белгісіз кезең", "неизвестная стадия"};
  }
}

Wording outcome_wording(const std::string& outcome) {
  if (outcome == "ISSUED") return {"нәтиже берілді", "результат выдан"};
  if (outcome == "REFUSED") return {"қызмет көрсетуден бас тартылды", "в оказании услуги отказано"};
  return {"", ""};
}

Wording stage_time_wording(const std::string& stage_at) {
  const auto shown = shown_time(stage_at);
  return {"Кезең уақыты: " + shown, "Время стадии: " + shown};
}

Wording planned_date_wording(const std::string& planned_date) {
  if (planned_date.empty()) return {"Жоспарлы орындау күні белгіленбеген", "Плановая дата исполнения не определена"};
  return {"Жоспарлы орындау күні: " + planned_date, "Плановая дата исполнения: " + planned_date};
}

Wording overdue_wording(const monitoring::Overdue& overdue, bool planned_known) {
  if (!planned_known) return {"Мерзімнің өтуі анықталмаған", "Просрочка не определена"};
  if (!overdue.late()) return {"Мерзім өткен жоқ", "Просрочки нет"};
  const auto working = std::to_string(overdue.working_days);
  const auto calendar = std::to_string(overdue.calendar_days);
  return {"Мерзімі " + working + " жұмыс күнге (" + calendar + " күнтізбелік күнге) өтіп кетті",
          "Просрочено на " + working + " рабоч. дн. (" + calendar + " календ. дн.)"};
}

}  // namespace stagegate::knowledge_base

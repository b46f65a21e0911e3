#pragma once
// A knowledge base on a real SQLite file in a temp dir, with the shipped calendar and a fixed
// clock, and stagegate.kb/1 payloads as the gateway delivers them.
#include <string>

#include "stagegate/knowledge_base/knowledge_base.h"
#include "support/temp_dir.h"

namespace stagegate::test {

struct ServiceInfoFields {
  std::string code = "Z22-74";
  std::string body_bin = "050140001238";
  std::string standard = "Стандарт, приказ № 10 от 15.01.2024";
  std::string responsible = "Жаксылыков Ерлан Маратович";
};

inline std::string service_info_payload(const ServiceInfoFields& f) {
  return "{\"schema\":\"stagegate.kb/1\",\"registryNumber\":\"" + f.code +
         "\",\"name\":{\"kk\":\"Сотталғандығы туралы анықтама беру\",\"ru\":\"Выдача справки о судимости\"},"
         "\"standard\":\"" + f.standard + "\",\"regulation\":\"Правила, приказ № 10\",\"url\":\"https://egov.kz/" + f.code +
         "\",\"responsible\":{\"fullName\":\"" + f.responsible +
         "\",\"position\":\"Главный специалист\",\"phone\":\"+7 727 271 00 00\",\"email\":\"e@almaty.gov.kz\"},"
         "\"body\":{\"bin\":\"" + f.body_bin + "\",\"name\":\"Акимат города Алматы\"}}";
}

struct KnowledgeBaseFixture {
  TempDir dir{"stagegate-kb"};
  monitoring::WorkingCalendar calendar =
      monitoring::WorkingCalendar::load(std::string(STAGEGATE_MONITORING_DATA) + "/kz-calendar.conf");
  monitoring::ServiceCatalogue services = monitoring::ServiceCatalogue::parse("Z22-74 5 working_days Справка\n");
  knowledge_base::RecipientKey key = knowledge_base::RecipientKey::load_or_create(dir / "kb-secret");
  knowledge_base::KnowledgeStore store{dir / "knowledge_base.db"};
  std::string now = "2026-11-02T04:00:00Z";  // what the knowledge base takes as the time of arrival
  knowledge_base::KnowledgeBase knowledge_base{store, key, calendar, services, [this] { return now; }};
  std::uint64_t sequence = 0;

  knowledge_base::Stored deliver(const std::string& payload) {
    const auto handled = knowledge_base.handle(payload, ++sequence);
    if (!handled) throw std::runtime_error("refused: " + handled.refusal().reason);
    return handled.value();
  }
};

}  // namespace stagegate::test

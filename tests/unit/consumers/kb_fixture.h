#pragma once
// A knowledge base on a real SQLite file in a temp dir, with the shipped calendar and a fixed
// clock, and stagegate.kb/1 payloads as the gateway delivers them.
#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
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

// SQLite in the test's directory, or, when ctest sets STAGEGATE_TEST_POSTGRES, PostgreSQL in
// a schema of the test's own, dropped afterwards (as tests/unit/consumers/store_under_test.h).
class KnowledgeStoreUnderTest {
 public:
  explicit KnowledgeStoreUnderTest(const std::filesystem::path& dir) {
    const char* server = std::getenv("STAGEGATE_TEST_POSTGRES");
    if (!server) {
      location_ = (dir / "knowledge_base.db").string();
      return;
    }
    server_ = server;
    schema_ = "kb_test_" + dir.filename().string().substr(dir.filename().string().rfind('-') + 1);
    administer("CREATE SCHEMA " + schema_);
    location_ = server_ + " options='-c search_path=" + schema_ + "'";
  }
  ~KnowledgeStoreUnderTest() {
    if (!schema_.empty()) administer("DROP SCHEMA " + schema_ + " CASCADE");
  }
  KnowledgeStoreUnderTest(const KnowledgeStoreUnderTest&) = delete;
  KnowledgeStoreUnderTest& operator=(const KnowledgeStoreUnderTest&) = delete;

  std::unique_ptr<knowledge_base::KnowledgeStore> open() const { return knowledge_base::open_knowledge_store(location_); }
  bool postgres() const { return !schema_.empty(); }

 private:
  void administer(const std::string& sql) const {
    std::unique_ptr<PGconn, decltype(&PQfinish)> connection(PQconnectdb(server_.c_str()), &PQfinish);
    if (PQstatus(connection.get()) != CONNECTION_OK)
      throw std::runtime_error("test PostgreSQL: " + std::string(PQerrorMessage(connection.get())));
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(connection.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK)
      throw std::runtime_error("test PostgreSQL: " + sql + ": " + PQerrorMessage(connection.get()));
  }

  std::string server_, schema_, location_;
};

struct KnowledgeBaseFixture {
  TempDir dir{"stagegate-kb"};
  monitoring::WorkingCalendar calendar =
      monitoring::WorkingCalendar::load(std::string(STAGEGATE_MONITORING_DATA) + "/kz-calendar.conf");
  monitoring::ServiceCatalogue services = monitoring::ServiceCatalogue::parse("Z22-74 5 working_days Справка\n");
  knowledge_base::RecipientKey key = knowledge_base::RecipientKey::load_or_create(dir / "kb-secret");
  KnowledgeStoreUnderTest store_under_test{dir.path()};
  std::unique_ptr<knowledge_base::KnowledgeStore> opened_store = store_under_test.open();
  knowledge_base::KnowledgeStore& store = *opened_store;
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

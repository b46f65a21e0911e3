#pragma once
// A Monitor over the store under test (SQLite, or PostgreSQL under ctest's postgres fixture)
// with the shipped calendar and a small catalogue; warnings collected for assertions.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "stage_messages.h"
#include "stagegate/monitoring/monitor.h"
#include "store_under_test.h"
#include "support/temp_dir.h"

namespace stagegate::test {

struct MonitorFixture {
  TempDir dir{"stagegate-monitoring"};
  monitoring::WorkingCalendar calendar =
      monitoring::WorkingCalendar::load(std::string(STAGEGATE_MONITORING_DATA) + "/kz-calendar.conf");
  monitoring::ServiceCatalogue services = monitoring::ServiceCatalogue::parse(
      "Z22-74 5 working_days Справка\nZ22-10 10 calendar_days Регистрация\nZ22-33 48 hours Справка о регистрации\n");
  StoreUnderTest store_under_test{dir.path()};
  std::unique_ptr<monitoring::MonitoringStore> store = store_under_test.open();
  std::vector<std::string> warnings;
  monitoring::Monitor monitor{*store, calendar, services, [this](const std::string& text) { warnings.push_back(text); }};
  std::uint64_t sequence = 0;

  monitoring::Applied apply(const StageFields& fields) {
    const auto applied = monitor.handle(stage_payload(fields), ++sequence);
    BOOST_REQUIRE_MESSAGE(applied.ok(), (applied.ok() ? std::string() : applied.refusal().reason));
    return applied.value();
  }
  StageFields at_stage(int stage, const std::string& at) {
    StageFields fields;
    fields.stage = stage;
    fields.at = at;
    return fields;
  }
  monitoring::Application only(const std::string& application_id = "002145678912") {
    const auto found = store->find(application_id);
    BOOST_REQUIRE_EQUAL(found.size(), 1u);
    return found.front();
  }
};

}  // namespace stagegate::test

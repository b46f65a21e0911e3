// The October 2025 fixture, computed by hand (calendar: Oct 25 Republic Day is a Saturday,
// so Monday Oct 27 is off):
//   a1 Akimat, Z22-74 (5 working days): received Wed Oct 1 -> planned Oct 8; executed Fri Oct 10:
//      late 2 working / 2 calendar days.
//   a2 Akimat, Z22-74: received Mon Oct 20 -> 21,22,23,24, (25-27 off), 28 -> planned Oct 28;
//      executed Nov 3, so open at Oct 31: 3 working / 3 calendar days.
//   a3 TsON, Z22-10 (10 calendar days): received Oct 6 -> planned Oct 16; executed Oct 22:
//      4 working / 6 calendar days, delayReason TECHNICAL -> apart.
//   a4 TsON, Z22-74: provider's planned Oct 20, executed Oct 17: on time.
//   a5 TsON, Z22-10: received Sep 15 -> planned Sep 25; executed Thu Oct 2:
//      5 working (Sep 26, 29, 30, Oct 1, 2) / 7 calendar days.
//   a6 Akimat, Z22-74: received Sep 1, executed Sep 10: a September violation, not October's.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "stage_messages.h"
#include "store_under_test.h"
#include "stagegate/monitoring/report.h"
#include "support/temp_dir.h"

using namespace stagegate;
using namespace stagegate::monitoring;

namespace {

struct OctoberFixture {
  test::TempDir dir{"stagegate-report"};
  WorkingCalendar calendar = WorkingCalendar::load(std::string(STAGEGATE_MONITORING_DATA) + "/kz-calendar.conf");
  ServiceCatalogue services = ServiceCatalogue::parse("Z22-74 5 working_days Справка\nZ22-10 10 calendar_days Регистрация\n");
  test::StoreUnderTest store_under_test{dir.path()};
  std::unique_ptr<MonitoringStore> store = store_under_test.open();
  std::uint64_t sequence = 0;

  void application(const std::string& id, const std::string& bin, const std::string& code, const std::string& received,
                   const std::string& executed, const std::string& planned = "", const std::string& delay = "") {
    Monitor monitor(*store, calendar, services);
    test::StageFields fields;
    fields.application_id = id;
    fields.provider_bin = bin;
    fields.provider_name = bin == "050140001238" ? "Акимат города Алматы" : "ЦОН Астаны";
    fields.service_code = code;
    fields.reception = received + "T10:00:00+05:00";
    fields.at = fields.reception;
    fields.planned = planned;
    BOOST_REQUIRE(monitor.handle(test::stage_payload(fields), ++sequence).ok());
    fields.stage = 4;
    fields.at = fields.execution = executed + "T16:00:00+05:00";
    fields.delay_kind = delay;
    BOOST_REQUIRE(monitor.handle(test::stage_payload(fields), ++sequence).ok());
  }

  OctoberFixture() {
    const std::string akimat = "050140001238", tson = "990340000017";
    application("a1", akimat, "Z22-74", "2025-10-01", "2025-10-10");
    application("a2", akimat, "Z22-74", "2025-10-20", "2025-11-03");
    application("a3", tson, "Z22-10", "2025-10-06", "2025-10-22", "", "TECHNICAL");
    application("a4", tson, "Z22-74", "2025-10-13", "2025-10-17", "2025-10-20");
    application("a5", tson, "Z22-10", "2025-09-15", "2025-10-02");
    application("a6", akimat, "Z22-74", "2025-09-01", "2025-09-10");
  }

  ViolationReport october() const { return build_violation_report(*store, calendar, "2025-10", parse_date("2025-11-20")); }

  static const ViolationGroup& group(const std::vector<ViolationGroup>& groups, const std::string& key) {
    for (const auto& g : groups)
      if (g.key == key) return g;
    throw std::runtime_error("no group " + key);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(violation_report, OctoberFixture)

BOOST_AUTO_TEST_CASE(figures_match_the_hand_computed_month) {
  const auto report = october();
  BOOST_TEST(report.deadline == "2025-11-15");
  BOOST_TEST(report.as_of == "2025-10-31");
  BOOST_TEST(report.total == 3);
  BOOST_TEST(report.technical == 1);

  const auto& akimat = group(report.by_body, "050140001238");
  BOOST_TEST(akimat.executed_late == 1);
  BOOST_TEST(akimat.open_overdue == 1);
  BOOST_TEST(akimat.total_working_days == 5);
  BOOST_TEST(akimat.total_calendar_days == 5);
  BOOST_TEST(akimat.longest_working_days == 3);
  BOOST_TEST(akimat.technical == 0);

  const auto& tson = group(report.by_body, "990340000017");
  BOOST_TEST(tson.executed_late == 1);
  BOOST_TEST(tson.open_overdue == 0);
  BOOST_TEST(tson.total_working_days == 5);
  BOOST_TEST(tson.total_calendar_days == 7);
  BOOST_TEST(tson.longest_working_days == 5);
  BOOST_TEST(tson.technical == 1);

  const auto& certificate = group(report.by_service, "Z22-74");
  BOOST_TEST(certificate.executed_late + certificate.open_overdue == 2);
  BOOST_TEST(certificate.total_working_days == 5);
  const auto& registration = group(report.by_service, "Z22-10");
  BOOST_TEST(registration.executed_late == 1);
  BOOST_TEST(registration.technical == 1);
  BOOST_TEST(registration.longest_working_days == 5);
}

BOOST_AUTO_TEST_CASE(the_month_not_yet_over_measures_open_applications_today) {
  const auto report = build_violation_report(*store, calendar, "2025-10", parse_date("2025-10-29"));
  BOOST_TEST(report.as_of == "2025-10-29");
  BOOST_TEST(group(report.by_body, "050140001238").open_overdue == 1);  // a2: Oct 29 is one day past Oct 28
}

BOOST_AUTO_TEST_CASE(json_csv_and_html_carry_the_same_figures) {
  const auto report = october();
  const auto json = nlohmann::json::parse(report_json(report));
  BOOST_TEST(json["schema"] == "stagegate.violations/1");
  BOOST_TEST(json["violations"] == 3);
  BOOST_TEST(json["technicalViolations"] == 1);
  BOOST_TEST(json["deadline"] == "2025-11-15");
  BOOST_TEST(json["technical"][0]["applicationId"] == "a3");

  const auto csv = report_csv(report);
  BOOST_TEST(csv.find("body,050140001238,Акимат города Алматы,1,1,2,5,5,3,0") != std::string::npos, csv);
  BOOST_TEST(csv.find("service,Z22-10,Услуга Z22-10,1,0,1,5,7,5,1") != std::string::npos, csv);

  const auto html = report_html(report);
  BOOST_TEST(html.find("<svg") != std::string::npos);
  BOOST_TEST(html.find("2025-11-15") != std::string::npos);
  BOOST_TEST(html.find("ЦОН Астаны") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

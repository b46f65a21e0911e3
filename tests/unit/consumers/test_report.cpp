// The October 2025 fixture, computed by hand (calendar: Oct 25 Republic Day is a Saturday,
// so Monday Oct 27 is off):
//   a1 Akimat, Z22-74 (5 working days): received Wed Oct 1 -> planned Oct 8; executed Fri Oct 10:
//      late 2 working / 2 calendar days.
//   a2 Akimat, Z22-74: received Mon Oct 20 -> 21,22,23,24, (25-27 off), 28 -> planned Oct 28;
//      executed Nov 3, so open at Oct 31: 3 working / 3 calendar days.
//   a3 TsON, Z22-10 (10 calendar days): received Oct 6 -> planned Oct 16; executed Oct 22:
//      4 working / 6 calendar days, delayReason TECHNICAL -> apart.
//   a4 TsON, Z22-74: provider's planned Oct 20, executed Oct 17: on time.
//   a4 TsON, Z22-74: received Oct 13 -> planned Oct 20 (declared Oct 20 too), executed Oct 17: on time.
//   a5 TsON, Z22-10: received Sep 15 -> planned Sep 25; executed Thu Oct 2: 5 working (Sep 26,
//      29, 30, Oct 1, 2) / 7 calendar days: September's violation, its term ran out then.
//   a6 Akimat, Z22-74: received Mon Sep 1 -> planned Sep 8, executed Sep 10: September's, 2/2.
// Bodies (data/bodies.conf): the TsON department is a territorial unit of 990340000025; the
// Akimat is a top-level local executive body.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "stage_messages.h"
#include "store_under_test.h"
#include "stagegate/monitoring/report.h"
#include "stagegate/monitoring/report_archive.h"
#include "stagegate/signing/pki.h"
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
    fields.received_at = received + "T06:00:00.000Z";
    BOOST_REQUIRE(monitor.handle(test::stage_payload(fields), ++sequence).ok());
    fields.stage = 4;
    fields.at = fields.execution = executed + "T16:00:00+05:00";
    fields.delay_kind = delay;
    fields.received_at = executed + "T11:30:00.000Z";
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

  BodiesCatalogue bodies = BodiesCatalogue::load(std::string(STAGEGATE_MONITORING_DATA) + "/bodies.conf");

  ViolationReport october() const {
    return build_violation_report(*store, calendar, "2025-10", parse_date("2025-11-20"), bodies);
  }

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
  BOOST_TEST(report.applications == 4);  // a1-a4: their terms ran out in October
  BOOST_TEST(report.total == 3);         // item 12: technical ones included
  BOOST_TEST(report.technical == 1);

  const auto& akimat = group(report.by_body, "050140001238");
  BOOST_TEST(akimat.applications == 2);
  BOOST_TEST(akimat.executed_late == 1);
  BOOST_TEST(akimat.open_overdue == 1);
  BOOST_TEST(akimat.total_working_days == 5);
  BOOST_TEST(akimat.total_calendar_days == 5);
  BOOST_TEST(akimat.longest_working_days == 3);
  BOOST_TEST(akimat.technical == 0);
  BOOST_TEST(akimat.kind == "local");
  BOOST_TEST(akimat.name_kk == "Алматы қаласының әкімдігі");

  const auto& tson = group(report.by_body, "990340000017");
  BOOST_TEST(tson.applications == 2);
  BOOST_TEST(tson.executed_late == 1);
  BOOST_TEST(tson.violations() == 1);
  BOOST_TEST(tson.technical == 1);
  BOOST_TEST(tson.total_working_days == 4);
  BOOST_TEST(tson.total_calendar_days == 6);
  BOOST_TEST(tson.top == "990340000025");

  const auto& certificate = group(report.by_service, "Z22-74");
  BOOST_TEST(certificate.applications == 3);
  BOOST_TEST(certificate.violations() == 2);
  BOOST_TEST(certificate.total_working_days == 5);
  const auto& registration = group(report.by_service, "Z22-10");
  BOOST_TEST(registration.violations() == 1);
  BOOST_TEST(registration.technical == 1);

  BOOST_TEST(group(report.by_body_service, "050140001238 Z22-74").violations() == 2);
  BOOST_TEST(group(report.by_body_service, "990340000017 Z22-10").technical == 1);
  BOOST_TEST(group(report.by_body_service, "990340000017 Z22-74").violations() == 0);
}

BOOST_AUTO_TEST_CASE(territorial_units_roll_up_to_their_central_body) {
  const auto report = october();
  const auto& central = group(report.by_top_body, "990340000025");
  BOOST_TEST(central.kind == "central");
  BOOST_TEST(central.applications == 2);
  BOOST_TEST(central.violations() == 1);
  BOOST_TEST(central.technical == 1);
  BOOST_TEST(group(report.by_top_body, "050140001238").violations() == 2);
  BOOST_TEST(report.by_top_body.size() == 2u);
  // Without a catalogue each sender is its own top, named as its messages name it.
  const auto plain = build_violation_report(*store, calendar, "2025-10", parse_date("2025-11-20"));
  BOOST_TEST(group(plain.by_top_body, "990340000017").name == "ЦОН Астаны");
}

BOOST_AUTO_TEST_CASE(a_violation_counts_in_the_month_its_term_ran_out_only) {
  // a5's term ran out on Sep 25 and it was executed on Oct 2: September's, not October's.
  const auto september = build_violation_report(*store, calendar, "2025-09", parse_date("2025-11-20"), bodies);
  BOOST_TEST(september.total == 2);  // a5 (open at Sep 30) and a6
  const auto& tson = group(september.by_body, "990340000017");
  BOOST_TEST(tson.open_overdue == 1);
  BOOST_TEST(tson.total_working_days == 3);  // Sep 26, 29, 30
  for (const auto& violation : october().violations) BOOST_TEST(violation.application.application_id != "a5");
}

BOOST_AUTO_TEST_CASE(the_month_not_yet_over_measures_open_applications_today) {
  const auto report = build_violation_report(*store, calendar, "2025-10", parse_date("2025-10-29"), bodies);
  BOOST_TEST(report.as_of == "2025-10-29");
  BOOST_TEST(group(report.by_body, "050140001238").open_overdue == 1);  // a2: Oct 29 is one day past Oct 28
}

BOOST_AUTO_TEST_CASE(doubtful_data_is_listed_beside_the_figures) {
  Monitor monitor(*store, calendar, services);
  test::StageFields moved;  // declares Oct 28 at reception, computed Oct 8, then moves it to Nov 5
  moved.application_id = "m1";
  moved.reception = moved.at = "2025-10-01T10:00:00+05:00";
  moved.planned = "2025-10-28";
  BOOST_REQUIRE(monitor.handle(test::stage_payload(moved), ++sequence).ok());
  moved.stage = 2;
  moved.at = "2025-10-02T10:00:00+05:00";
  moved.planned = "2025-11-05";
  moved.received_at = "2025-10-09T06:00:00.000Z";  // entered a week after the event
  BOOST_REQUIRE(monitor.handle(test::stage_payload(moved), ++sequence).ok());
  test::StageFields unknown;
  unknown.application_id = "u1";
  unknown.service_code = "Z99-99";
  unknown.reception = unknown.at = "2025-10-03T10:00:00+05:00";
  BOOST_REQUIRE(monitor.handle(test::stage_payload(unknown), ++sequence).ok());

  const auto report = october();
  BOOST_REQUIRE(report.declared_dates.size() == 1u);
  BOOST_TEST(report.declared_dates[0].application_id == "m1");
  BOOST_TEST(report.declared_dates[0].detail.find("MOVED LATER") != std::string::npos, report.declared_dates[0].detail);
  BOOST_TEST(group(report.by_body, "050140001238").violations() == 3);  // m1 is late by its computed date
  BOOST_REQUIRE(report.late_entries.size() == 1u);
  BOOST_TEST(report.late_entries[0].application_id == "m1");
  BOOST_REQUIRE(report.unknown_planned.size() == 1u);
  BOOST_TEST(report.unknown_planned[0].detail.find("planned date unknown: ") == 0u, report.unknown_planned[0].detail);
  BOOST_TEST(report.unknown_planned[0].detail.find("Z99-99") != std::string::npos);

  const auto html = report_html(report);
  BOOST_TEST(html.find("Плановая дата неизвестна") != std::string::npos);
  BOOST_TEST(html.find("MOVED LATER") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(json_csv_and_html_carry_the_same_figures_in_both_languages) {
  const auto report = october();
  const auto json = nlohmann::json::parse(report_json(report));
  BOOST_TEST(json["schema"] == "stagegate.violations/2");
  BOOST_TEST(json["applications"] == 4);
  BOOST_TEST(json["violations"] == 3);
  BOOST_TEST(json["technicalViolations"] == 1);
  BOOST_TEST(json["deadline"] == "2025-11-15");
  BOOST_TEST(json["technical"][0]["applicationId"] == "a3");
  BOOST_TEST(json["byTopBody"].size() == 2u);

  const auto csv = report_csv(report);
  BOOST_TEST(csv.find("body,050140001238,Акимат города Алматы,050140001238,2,1,1,2,0,5,5,3") != std::string::npos, csv);
  BOOST_TEST(csv.find("service,Z22-10,Услуга Z22-10,,1,1,0,1,1,4,6,4") != std::string::npos, csv);
  BOOST_TEST(csv.find("Нарушений сроков") != std::string::npos);
  const auto csv_kk = report_csv(report, ReportLanguage::Kazakh);
  BOOST_TEST(csv_kk.find("body,050140001238,Алматы қаласының әкімдігі,") != std::string::npos, csv_kk);
  BOOST_TEST(csv_kk.find("Мерзімдерді бұзу") != std::string::npos);

  const auto html = report_html(report);
  BOOST_TEST(html.find("<svg") != std::string::npos);
  BOOST_TEST(html.find("2025-11-15") != std::string::npos);
  BOOST_TEST(html.find("Департамент ЦОН по городу Астане") != std::string::npos);
  BOOST_TEST(html.find("lang=\"ru\"") != std::string::npos);
  const auto html_kk = report_html(report, ReportLanguage::Kazakh);
  BOOST_TEST(html_kk.find("lang=\"kk\"") != std::string::npos);
  BOOST_TEST(html_kk.find("Мемлекеттік органдар бойынша") != std::string::npos);
  BOOST_CHECK_THROW(report_language("en"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(an_issued_report_is_frozen_signed_and_corrected_not_changed) {
  const auto pki = signing::Pki::open_or_create(dir.path() / "pki");
  signing::CertificateRequest request;
  request.common_name = "stagegate gateway";
  const auto signer = pki.issue("gateway", request);
  const ReportArchive archive(dir.path() / "reports");
  const auto frozen = report_json(october());

  const auto issued = archive.issue("2025-10", frozen, signer.private_key, signer.certificate);
  BOOST_REQUIRE_MESSAGE(issued.ok(), (issued.ok() ? std::string() : issued.refusal().reason));
  BOOST_TEST(issued->sha256.size() == 64u);
  BOOST_TEST(verify_issued_report(issued.value()).ok());
  const auto again = archive.issue("2025-10", frozen, signer.private_key, signer.certificate);
  BOOST_REQUIRE(!again.ok());
  BOOST_TEST(again.refusal().code == Code::DataInvalid);
  BOOST_TEST(again.refusal().reason.find("was issued at " + issued->issued_at) != std::string::npos, again.refusal().reason);

  auto found = archive.find("2025-10");
  BOOST_REQUIRE(found.ok());
  BOOST_REQUIRE(found.value().has_value());
  BOOST_TEST(found.value()->report == frozen);
  BOOST_TEST(verify_issued_report(*found.value()).ok());
  auto tampered = *found.value();
  tampered.report.replace(tampered.report.find("\"violations\": 3"), 16, "\"violations\": 2");
  BOOST_TEST(verify_issued_report(tampered).refusal().code == Code::SignatureInvalid);
  tampered.sha256 = issued->sha256;
  auto rehashed = *found.value();
  rehashed.report = tampered.report;
  rehashed.signature[10] = rehashed.signature[10] == 'A' ? 'B' : 'A';
  BOOST_TEST(!verify_issued_report(rehashed).ok());
  BOOST_TEST(!archive.find("2025-09").value().has_value());

  // A stage entered late for October: the frozen figures stay, the difference is listed.
  application("late", "050140001238", "Z22-74", "2025-10-14", "2025-10-30");
  auto now = october();
  BOOST_TEST(report_corrections(found.value()->report, now).size() >= 3u);
  const auto corrections = report_corrections(found.value()->report, now);
  BOOST_TEST((std::find(corrections.begin(), corrections.end(), "violations: 3 issued, 4 now") != corrections.end()));
  BOOST_TEST(archive.find("2025-10").value()->report == frozen);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bodies_catalogue)

BOOST_AUTO_TEST_CASE(errors_name_the_line) {
  const auto fails_with = [](const std::string& text, const std::string& part) {
    try {
      BodiesCatalogue::parse(text, "b.conf");
      BOOST_ERROR("accepted: " + text);
    } catch (const std::runtime_error& error) {
      BOOST_TEST(std::string(error.what()).find(part) != std::string::npos, error.what());
    }
  };
  fails_with("12345 central - A | Б\n", "b.conf:1: a BIN is 12 digits");
  fails_with("# c\n050140001238 ministry - A | Б\n", "b.conf:2: kind");
  fails_with("050140001238 territorial - A | Б\n", "names its parent");
  fails_with("050140001238 local - Акимат\n", "names in Russian and Kazakh");
  fails_with("050140001238 committee 990340000025 A | Б\n", "b.conf:1: parent 990340000025 is not in the catalogue");
  fails_with("050140001238 committee 990340000025 A | Б\n990340000025 committee 050140001238 B | В\n", "cycle");
  fails_with("050140001238 local - A | Б\n050140001238 local - A | Б\n", "already on line 1");
  const auto shipped = BodiesCatalogue::load(std::string(STAGEGATE_MONITORING_DATA) + "/bodies.conf");
  BOOST_TEST(shipped.top_of("990340000017") == "990340000025");
  BOOST_TEST(shipped.top_of("000000000000").empty());
}

BOOST_AUTO_TEST_SUITE_END()

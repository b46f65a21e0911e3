#define BOOST_TEST_MODULE knowledge_base
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>

#include "kb_fixture.h"
#include "stage_messages.h"
#include "support/files.h"

using namespace stagegate;
using namespace stagegate::knowledge_base;

BOOST_FIXTURE_TEST_SUITE(knowledge_base_store, test::KnowledgeBaseFixture)

BOOST_AUTO_TEST_CASE(every_version_of_a_form_is_kept_and_shown_as_it_stood) {
  test::ServiceInfoFields first;
  now = "2026-11-02T04:00:00Z";
  BOOST_TEST((deliver(test::service_info_payload(first)) == Stored::Recorded));
  auto second = first;
  second.standard = "Стандарт, приказ № 77 от 01.06.2026";
  second.responsible = "Омарова Динара Серiковна";
  now = "2026-11-05T20:30:00Z";  // 01:30 on the 6th in Kazakhstan
  BOOST_TEST((deliver(test::service_info_payload(second)) == Stored::Recorded));
  auto other_body = first;
  other_body.body_bin = "990340005977";
  now = "2026-11-04T06:00:00Z";
  deliver(test::service_info_payload(other_body));

  const auto history = store.service_history("Z22-74");
  BOOST_REQUIRE_EQUAL(history.size(), 3u);
  BOOST_TEST(history[0].info.body_bin == "050140001238");
  BOOST_TEST(history[0].version == 1);
  BOOST_TEST(history[0].info.standard == first.standard);
  BOOST_TEST(history[0].info.name_kk == "Сотталғандығы туралы анықтама беру");
  BOOST_TEST(history[0].info.name_ru == "Выдача справки о судимости");
  BOOST_TEST(history[1].version == 2);
  BOOST_TEST(history[1].received_date == "2026-11-06");
  BOOST_TEST(history[2].info.body_bin == "990340005977");

  BOOST_TEST(store.service_at("Z22-74", "2026-11-01").empty());
  const auto on_the_3rd = store.service_at("Z22-74", "2026-11-03");
  BOOST_REQUIRE_EQUAL(on_the_3rd.size(), 1u);
  BOOST_TEST(on_the_3rd[0].info.standard == first.standard);
  const auto on_the_5th = store.service_at("Z22-74", "2026-11-05");
  BOOST_REQUIRE_EQUAL(on_the_5th.size(), 2u);  // both bodies, the first still at version 1
  BOOST_TEST(on_the_5th[0].info.standard == first.standard);
  const auto on_the_6th = store.service_at("Z22-74", "2026-11-06");
  BOOST_REQUIRE_EQUAL(on_the_6th.size(), 2u);
  BOOST_TEST(on_the_6th[0].version == 2);
  BOOST_TEST(on_the_6th[0].info.responsible_name == second.responsible);
  BOOST_TEST(store.body_name("050140001238") == "Акимат города Алматы");
}

BOOST_AUTO_TEST_CASE(redelivered_sequences_are_duplicates_and_the_position_resumes) {
  deliver(test::service_info_payload({}));
  deliver(test::stage_payload({}));
  BOOST_TEST(store.last_sequence() == 2u);
  const auto again = knowledge_base.handle(test::service_info_payload({}), 1);
  BOOST_REQUIRE(again.ok());
  BOOST_TEST((again.value() == Stored::Duplicate));
  BOOST_TEST(store.service_history("Z22-74").size() == 1u);
  // A second process on the same file resumes after the last stored sequence.
  BOOST_TEST(store_under_test.open()->last_sequence() == 2u);
}

BOOST_AUTO_TEST_CASE(the_current_stage_moves_forward_only_and_the_iin_is_never_stored) {
  test::StageFields fields;
  fields.reception = "2026-11-20T10:15:00+05:00";
  fields.stage = 3;
  fields.at = "2026-11-21T09:00:00+05:00";
  deliver(test::stage_payload(fields));
  fields.stage = 2;  // arrives late
  fields.at = "2026-11-20T10:42:00+05:00";
  deliver(test::stage_payload(fields));
  const auto found = store.applications("002145678912");
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  BOOST_TEST(found[0].stage == 3);
  BOOST_TEST(found[0].stage_at == "2026-11-21T09:00:00+05:00");
  BOOST_TEST(found[0].planned_date == "2026-11-27");  // 5 working days from the catalogue
  BOOST_TEST(found[0].planned_source == "computed");
  BOOST_TEST(found[0].recipient_digest == key.digest("920315450126"));
  BOOST_TEST(key.matches("920315450126", found[0].recipient_digest));
  BOOST_TEST(!key.matches("920315450127", found[0].recipient_digest));

  fields.stage = 6;
  fields.at = "2026-11-25T12:00:00+05:00";
  fields.planned = "2026-11-26";
  fields.execution = "2026-11-25T11:00:00+05:00";
  fields.outcome = "ISSUED";
  deliver(test::stage_payload(fields));
  const auto closed = store.applications("002145678912").at(0);
  BOOST_TEST(closed.stage == 6);
  BOOST_TEST(closed.outcome == "ISSUED");
  BOOST_TEST(closed.planned_date == "2026-11-26");
  BOOST_TEST(closed.planned_source == "provider");

  // Neither the database nor its write-ahead log holds the ИИН.
  for (const auto* name : {"knowledge_base.db", "knowledge_base.db-wal"}) {
    if (!std::filesystem::exists(dir / name)) continue;
    BOOST_TEST(test::read_text(dir / name).find("920315450126") == std::string::npos, name);
  }
}

BOOST_AUTO_TEST_CASE(bad_payloads_are_refused_as_malformed) {
  for (const std::string& payload : {std::string("not json"), std::string("{\"schema\":\"stagegate.other/1\"}"),
                                    std::string("{\"schema\":\"stagegate.kb/1\",\"registryNumber\":\"Z22-74\"}"),
                                    std::string("{\"schema\":\"stagegate.stage/1\",\"applicationId\":7}"), std::string("[]")}) {
    const auto handled = knowledge_base.handle(payload, ++sequence);
    BOOST_REQUIRE(!handled.ok());
    BOOST_TEST((handled.refusal().code == Code::Malformed), payload);
  }
  BOOST_TEST(store.last_sequence() == 0u);  // refused messages do not move the position
}

BOOST_AUTO_TEST_CASE(store_and_secret_are_owner_only) {
  const auto old_mask = ::umask(077);
  {
    const auto created = open_sqlite_knowledge_store(dir / "fresh" / "knowledge_base.db");
    RecipientKey::load_or_create(dir / "fresh" / "kb-secret");
  }
  ::umask(old_mask);
  for (const auto* name : {"knowledge_base.db", "kb-secret"}) {
    const auto permissions = std::filesystem::status(dir / "fresh" / name).permissions();
    BOOST_TEST(((permissions & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
                std::filesystem::perms::none),
               name);
  }
  // The secret is created once and read back the same.
  BOOST_TEST(RecipientKey::load_or_create(dir / "kb-secret").digest("1") == key.digest("1"));
}

BOOST_AUTO_TEST_CASE(kazakhstan_dates_of_utc_instants) {
  BOOST_TEST(kazakhstan_date("2026-11-20T18:59:59.999Z") == "2026-11-20");
  BOOST_TEST(kazakhstan_date("2026-11-20T19:00:00.000Z") == "2026-11-21");
  BOOST_TEST(kazakhstan_date("2026-12-31T20:00:00Z") == "2027-01-01");
}

BOOST_AUTO_TEST_SUITE_END()

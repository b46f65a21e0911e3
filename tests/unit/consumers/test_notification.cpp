// The notification consumer's parts against real files, real SQLite and a real SMTP server
// process: templates (both languages, reload, refusal), the outbox (idempotency, crash
// recovery), the sender (delivery, backoff, permanent refusal, no contact).
#define BOOST_TEST_MODULE notification
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "stagegate/notification/consumer.h"
#include "stagegate/notification/sender.h"
#include "support/smtp_sink.h"
#include "support/ports.h"
#include "support/temp_dir.h"

using namespace stagegate;
using namespace stagegate::notification;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path kBuiltin = fs::path(STAGEGATE_NOTIFICATION_DATA) / "templates";
const std::string kIin = "920315450126";

std::string stage_payload(const std::string& application, int stage, const std::string& outcome = "") {
  static const char* names[] = {"", "RECEIVED", "SENT_FOR_EXECUTION", "IN_PROGRESS", "EXECUTED", "AWAITING_ISSUANCE", "CLOSED"};
  std::string json = R"({"schema":"stagegate.stage/1","applicationId":")" + application +
                     R"(","service":{"code":"Z22-74","name":"Выдача справки о наличии либо отсутствии судимости"},)"
                     R"("provider":{"name":"Акимат города Алматы"},)"
                     R"("recipient":{"iin":")" + kIin + R"(","lastName":"Сейткали","firstName":"Айгерим","middleName":"Нурлановна"},)"
                     R"("receptionPlace":"ЦОН Алмалинского района","plannedDate":"2026-11-25",)"
                     R"("stage":{"code":)" + std::to_string(stage) + R"(,"name":")" + names[stage] +
                     R"(","at":"2026-11-20T10:42:00+05:00"})";
  if (!outcome.empty()) json += R"(,"outcome":")" + outcome + "\"";
  return json + "}";
}

StageChange change_of(const std::string& payload) {
  auto parsed = parse_stage_change(payload);
  BOOST_REQUIRE(parsed.ok());
  return parsed.value();
}

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

OutboxEntry entry_for(const std::string& application, int stage, const std::string& citizen) {
  return OutboxEntry{application, stage, "RECEIVED", citizen, message_id_for(application, stage, citizen, "test.kz"),
                     "Тема / Тақырып", "Мәтін\n\n----------\n\nТекст"};
}


}  // namespace

BOOST_AUTO_TEST_SUITE(notification_templates, *boost::unit_test::timeout(30))

BOOST_AUTO_TEST_CASE(renders_one_message_in_kazakh_and_russian) {
  const TemplateSet templates(kBuiltin, {});
  const auto message = templates.render(change_of(stage_payload("002145678912", 2)));
  BOOST_TEST(message.subject == "Өтінішіңіз орындауға жіберілді, № 002145678912 / Ваша заявка направлена на исполнение, № 002145678912");
  BOOST_TEST(message.body.find("Құрметті Сейткали Айгерим Нурлановна!") == 0u);
  BOOST_TEST(message.body.find("20.11.2026 10:42 орындауға жіберілді") != std::string::npos);
  BOOST_TEST(message.body.find("Уважаемый(ая) Сейткали Айгерим Нурлановна!") != std::string::npos);
  BOOST_TEST(message.body.find("Плановый срок исполнения: 25.11.2026.") != std::string::npos);
  BOOST_TEST(message.body.find("{{") == std::string::npos);
  BOOST_TEST(message.body.find("Құрметті") < message.body.find("Уважаемый"));
}

BOOST_AUTO_TEST_CASE(a_refusal_at_closing_has_its_own_wording) {
  const TemplateSet templates(kBuiltin, {});
  const auto refused = templates.render(change_of(stage_payload("1", 6, "REFUSED")));
  BOOST_TEST(refused.subject == "Қызмет көрсетуден бас тартылды, № 1 / В оказании услуги отказано, № 1");
  const auto issued = templates.render(change_of(stage_payload("1", 6, "ISSUED")));
  BOOST_TEST(issued.subject == "Өтінішіңіз жабылды, № 1 / Ваша заявка закрыта, № 1");
  BOOST_TEST(issued.body.find("жабылды: нәтиже берілді.") != std::string::npos);
  BOOST_TEST(issued.body.find("закрыта 20.11.2026: результат выдан.") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_templates_are_refused_with_the_line) {
  BOOST_TEST(parse_template("Subject: x\n\nHello {{nope}}\n").refusal().reason == "line 3: unknown placeholder {{nope}}");
  BOOST_TEST(parse_template("Subject: x\n\nline\nHello {{fullName\n").refusal().reason == "line 4: unclosed {{");
  BOOST_TEST(parse_template("Hello\n\nbody").refusal().reason == "line 1: the first line must be \"Subject: ...\"");
  BOOST_TEST(parse_template("Subject: x\nbody").refusal().reason == "line 2: an empty line must follow the subject");
  BOOST_TEST(parse_template("Subject: {{x}}\n\nbody").refusal().reason == "line 1: unknown placeholder {{x}}");
  BOOST_TEST(parse_template("Subject: {{applicationId}}\r\n\r\nbody {{fullName}}").ok());
}

BOOST_AUTO_TEST_CASE(operator_files_reload_on_change_and_a_bad_one_keeps_the_previous) {
  test::TempDir dir("stagegate-templates");
  const auto edited = dir / "templates";
  BOOST_TEST(install_templates(kBuiltin, edited));
  BOOST_TEST(!install_templates(kBuiltin, edited));
  TemplateSet templates(kBuiltin, edited);
  BOOST_TEST(templates.refresh().empty());  // the copies say what the built-in set says
  const auto change = change_of(stage_payload("77", 1));

  write_file(edited / "received.ru.txt", "Subject: Принято {{applicationId}}\n\nЗаявка {{applicationId}} принята.\n");
  BOOST_TEST(templates.refresh() == std::vector<std::string>{"received.ru.txt: reloaded"});
  auto message = templates.render(change);
  BOOST_TEST(message.subject == "Өтінішіңіз қабылданды, № 77 / Принято 77");
  BOOST_TEST(message.body.ends_with("----------\n\nЗаявка 77 принята.\n"));

  write_file(edited / "received.ru.txt", "Subject: Принято\n\nЗаявка {{applicatonId}} принята, тест длины.\n");
  const auto report = templates.refresh();
  BOOST_REQUIRE_EQUAL(report.size(), 1u);
  BOOST_TEST(report[0] == "received.ru.txt: refused, previous wording kept: line 3: unknown placeholder {{applicatonId}}");
  BOOST_TEST(templates.render(change).subject == "Өтінішіңіз қабылданды, № 77 / Принято 77");

  fs::remove(edited / "received.ru.txt");
  BOOST_TEST(templates.refresh() == std::vector<std::string>{"received.ru.txt: removed, built-in wording applies"});
  BOOST_TEST(templates.render(change).subject == "Өтінішіңіз қабылданды, № 77 / Ваша заявка принята, № 77");
}

BOOST_AUTO_TEST_CASE(payloads_that_are_not_stage_messages_are_refused) {
  BOOST_TEST(parse_stage_change("{").refusal().code == Code::Malformed);
  BOOST_TEST(parse_stage_change(R"({"schema":"stagegate.kb/1"})").refusal().reason == "not a stagegate.stage/1 message");
  auto out_of_range = stage_payload("1", 2);
  out_of_range.replace(out_of_range.find("\"code\":2"), 8, "\"code\":9");
  BOOST_TEST(parse_stage_change(out_of_range).refusal().reason == "stage code out of 1-6");
  BOOST_TEST(parse_stage_change(R"({"schema":"stagegate.stage/1","applicationId":"1"})").refusal().code == Code::Malformed);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(notification_outbox, *boost::unit_test::timeout(30))

BOOST_AUTO_TEST_CASE(the_same_stage_for_the_same_citizen_is_queued_once) {
  test::TempDir dir("stagegate-outbox");
  Outbox outbox(dir / "notification.db");
  const CitizenKeys keys(std::string(32, 'k'));
  const TemplateSet templates(kBuiltin, {});
  NotificationConsumer consumer(outbox, keys, templates, "notify.test");

  BOOST_TEST((consumer.handle(stage_payload("A1", 2), 5).value() == Recorded::Queued));
  BOOST_TEST((consumer.handle(stage_payload("A1", 2), 5).value() == Recorded::Duplicate));     // delivered again
  BOOST_TEST((consumer.handle(stage_payload("A1", 2), 9).value() == Recorded::AlreadyKnown));  // sent again by the provider
  BOOST_TEST((consumer.handle(stage_payload("A1", 3), 10).value() == Recorded::Queued));
  BOOST_TEST((consumer.handle(stage_payload("A2", 2), 11).value() == Recorded::Queued));
  BOOST_TEST(consumer.handle("not json", 12).refusal().code == Code::Malformed);
  BOOST_TEST(outbox.count("pending") == 3u);
  BOOST_TEST(outbox.last_sequence() == 11u);  // the refused one is not recorded: it comes again

  const auto rows = outbox.list({"pending"});
  BOOST_TEST(rows[0].entry.citizen == keys.digest(kIin));
  BOOST_TEST(rows[0].entry.citizen.find(kIin) == std::string::npos);
  BOOST_TEST(rows[0].entry.message_id == message_id_for("A1", 2, keys.digest(kIin), "notify.test"));
  BOOST_TEST(rows[0].entry.body.find("Сейткали") != std::string::npos);
  BOOST_TEST(rows[0].entry.body.find("Уважаемый") != std::string::npos);

  // A new process sees the same.
  Outbox reopened(dir / "notification.db");
  BOOST_TEST(reopened.last_sequence() == 11u);
  BOOST_TEST(reopened.count("pending") == 3u);
}

BOOST_AUTO_TEST_CASE(a_row_interrupted_while_sending_is_never_sent_again_by_itself) {
  test::TempDir dir("stagegate-outbox");
  {
    Outbox outbox(dir / "notification.db");
    BOOST_TEST((outbox.record(entry_for("A1", 1, "c1"), 1).value() == Recorded::Queued));
    BOOST_TEST((outbox.record(entry_for("A2", 1, "c1"), 2).value() == Recorded::Queued));
    const auto row = outbox.next_due(now_ms());
    BOOST_REQUIRE(row);
    BOOST_TEST(outbox.mark_sending(row->id).ok());
  }  // the process dies here, between the SMTP transaction and recording its outcome
  Outbox restarted(dir / "notification.db");
  BOOST_TEST(restarted.settle_interrupted() == std::vector<std::int64_t>{1});
  const auto undeliverable = restarted.list({"undeliverable"});
  BOOST_REQUIRE_EQUAL(undeliverable.size(), 1u);
  BOOST_TEST(undeliverable[0].last_error.rfind("uncertain: interrupted during the SMTP transaction", 0) == 0u);
  BOOST_TEST(undeliverable[0].last_error.find(undeliverable[0].entry.message_id) != std::string::npos);
  BOOST_TEST(restarted.next_due(now_ms())->id == 2);

  BOOST_TEST(restarted.resend(1).ok());  // the operator found no trace of it at the server
  BOOST_TEST(restarted.list({"pending"}).size() == 2u);
  BOOST_TEST(restarted.resend(1).refusal().code == Code::DataInvalid);
}

BOOST_AUTO_TEST_CASE(backoff_doubles_up_to_the_cap) {
  RetryPolicy policy{10, 100ms, 1000ms};
  BOOST_TEST(policy.delay_after(1).count() == 100);
  BOOST_TEST(policy.delay_after(2).count() == 200);
  BOOST_TEST(policy.delay_after(4).count() == 800);
  BOOST_TEST(policy.delay_after(5).count() == 1000);
  BOOST_TEST(policy.delay_after(60).count() == 1000);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(notification_sender, *boost::unit_test::timeout(60))

BOOST_AUTO_TEST_CASE(delivers_retries_and_gives_up_with_reasons) {
  test::TempDir dir("stagegate-sender");
  const int port = test::free_loopback_port();
  Outbox outbox(dir / "notification.db");
  const CitizenKeys keys(std::string(32, 'k'));
  BOOST_TEST(outbox.import_contacts({{keys.digest("111111111111"), "citizen@mail.test"},
                                     {keys.digest("222222222222"), "rejected@mail.test"}})
                 .value() == 2u);
  BOOST_TEST((outbox.record(entry_for("OK", 1, keys.digest("111111111111")), 1).value() == Recorded::Queued));
  BOOST_TEST((outbox.record(entry_for("NO-CONTACT", 1, keys.digest("333333333333")), 2).value() == Recorded::Queued));
  BOOST_TEST((outbox.record(entry_for("REJECTED", 1, keys.digest("222222222222")), 3).value() == Recorded::Queued));

  const SmtpMailer mailer(SmtpConfig{"smtp://127.0.0.1:" + std::to_string(port), "notify@test.kz", "", "", false, 5000});
  std::vector<std::string> log;
  Sender sender(outbox, mailer, RetryPolicy{10, 50ms, 200ms}, [&](const std::string& line) { log.push_back(line); });

  // The server is down: every row that has a contact is rescheduled; the one without is given up.
  while (sender.deliver_next()) {
  }
  for (const auto& line : log) BOOST_TEST_MESSAGE(line);
  BOOST_TEST(outbox.count("pending") == 2u);
  const auto waiting = outbox.list({"pending"});
  BOOST_TEST(waiting[0].attempts == 1);
  BOOST_TEST(waiting[0].last_error.find("(SMTP 0)") != std::string::npos);
  BOOST_TEST(waiting[0].next_attempt_ms > now_ms() - 1000);
  const auto no_contact = outbox.list({"undeliverable"});
  BOOST_REQUIRE_EQUAL(no_contact.size(), 1u);
  BOOST_TEST(no_contact[0].entry.application_id == "NO-CONTACT");
  BOOST_TEST(no_contact[0].last_error == "no contact for the recipient (stagegate notify contacts import)");

  // The server comes up: the next attempts deliver, a 550 is final.
  test::SmtpSink sink(dir / "smtp", port);
  BOOST_TEST(eventually([&] {
    if (!sender.deliver_next()) std::this_thread::sleep_for(sender.idle_wait(50ms));
    return outbox.count("pending") == 0;
  }));
  BOOST_TEST(outbox.count("sent") == 1u);
  const auto mails = sink.mails();
  BOOST_REQUIRE_EQUAL(mails.size(), 1u);
  BOOST_TEST(mails[0].to == std::vector<std::string>{"citizen@mail.test"});
  BOOST_TEST(mails[0].subject == "Тема / Тақырып");
  BOOST_TEST(mails[0].body == "Мәтін\n\n----------\n\nТекст");
  BOOST_TEST(mails[0].message_id == message_id_for("OK", 1, keys.digest("111111111111"), "test.kz"));
  const auto given_up = outbox.list({"undeliverable"});
  BOOST_REQUIRE_EQUAL(given_up.size(), 2u);
  BOOST_TEST(given_up[1].entry.application_id == "REJECTED");
  BOOST_TEST(given_up[1].last_error.rfind("SMTP refused: ", 0) == 0u);
  BOOST_TEST(given_up[1].last_error.find("(SMTP 550)") != std::string::npos);
  for (const auto& line : log) {
    BOOST_TEST(line.find("@mail.test") == std::string::npos);
    BOOST_TEST(line.find("111111111111") == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(retries_run_out_into_undeliverable) {
  test::TempDir dir("stagegate-sender");
  const int port = test::free_loopback_port();
  Outbox outbox(dir / "notification.db");
  BOOST_TEST(outbox.import_contacts({{"c1", "citizen@mail.test"}}).value() == 1u);
  BOOST_TEST((outbox.record(entry_for("A1", 1, "c1"), 1).value() == Recorded::Queued));
  const SmtpMailer mailer(SmtpConfig{"smtp://127.0.0.1:" + std::to_string(port), "notify@test.kz", "", "", false, 5000});
  Sender sender(outbox, mailer, RetryPolicy{3, 10ms, 20ms}, [](const std::string&) {});
  BOOST_TEST(eventually([&] {
    if (!sender.deliver_next()) std::this_thread::sleep_for(sender.idle_wait(20ms));
    return outbox.count("undeliverable") == 1;
  }));
  const auto row = outbox.list({"undeliverable"}).at(0);
  BOOST_TEST(row.attempts == 3);
  BOOST_TEST(row.last_error.rfind("retries exhausted after 3 attempts: ", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(no_final_answer_after_the_whole_message_is_uncertain_not_retried) {
  test::TempDir dir("stagegate-sender");
  test::SmtpSink slow(dir / "smtp", 0, 3000);  // stores the mail, answers 250 after 3 s
  Outbox outbox(dir / "notification.db");
  BOOST_TEST(outbox.import_contacts({{"c1", "citizen@mail.test"}}).value() == 1u);
  BOOST_TEST((outbox.record(entry_for("A1", 1, "c1"), 1).value() == Recorded::Queued));
  const SmtpMailer mailer(SmtpConfig{slow.url(), "notify@test.kz", "", "", false, 1000});
  Sender sender(outbox, mailer, RetryPolicy{10, 10ms, 20ms}, [](const std::string&) {});
  BOOST_TEST(sender.deliver_next());
  const auto rows = outbox.list({"undeliverable"});
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_TEST(rows[0].last_error.rfind("uncertain: the message went out but the server's answer did not come", 0) == 0u);
  BOOST_TEST(outbox.count("pending") == 0u);  // not retried: it may well be in the mailbox
  BOOST_TEST(slow.mails().size() == 1u);
}

BOOST_AUTO_TEST_CASE(header_values_cannot_add_headers) {
  Mail mail{"citizen@mail.test", "<id@test.kz>", "Тема\r\nBcc: attacker@evil.test", "Body"};
  const auto text = compose_mail(mail, "notify@test.kz", "Mon, 23 Nov 2026 10:00:00 +0000");
  BOOST_TEST(text.find("\r\nBcc:") == std::string::npos);
  BOOST_TEST(text.find("Subject: =?UTF-8?B?") != std::string::npos);
  BOOST_TEST(text.find("Message-ID: <id@test.kz>\r\n") != std::string::npos);
  // A long UTF-8 subject folds into encoded-words, none over 75 characters, no character split.
  const auto long_subject = compose_mail(Mail{"a@b.c", "<x@y>", std::string(40, 'a') + std::string(30, 'x') + "Өтінішіңіз", "b"}, "f@g.h", "d");
  std::size_t at = long_subject.find("Subject: ");
  const auto end = long_subject.find("\r\nMIME-Version");
  for (auto line_start = at; line_start < end;) {
    const auto line_end = long_subject.find("\r\n", line_start);
    BOOST_TEST(line_end - line_start <= 78u);
    line_start = line_end + 2;
  }
}

BOOST_AUTO_TEST_CASE(a_batch_is_delivered_once_each_and_timed) {
  constexpr int kRows = 100;
  test::TempDir dir("stagegate-sender");
  test::SmtpSink sink(dir / "smtp");
  Outbox outbox(dir / "notification.db");
  BOOST_TEST(outbox.import_contacts({{"c1", "citizen@mail.test"}}).value() == 1u);
  for (int i = 1; i <= kRows; ++i)
    BOOST_TEST((outbox.record(entry_for("APP-" + std::to_string(i), 2, "c1"), i).value() == Recorded::Queued));
  const SmtpMailer mailer(SmtpConfig{sink.url(), "notify@test.kz", "", "", false, 5000});
  Sender sender(outbox, mailer, RetryPolicy{}, [](const std::string&) {});
  const auto started = std::chrono::steady_clock::now();
  while (sender.deliver_next()) {
  }
  const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  BOOST_TEST(outbox.count("sent") == static_cast<std::size_t>(kRows));
  const auto mails = sink.wait_for(kRows);
  std::set<std::string> ids;
  for (const auto& mail : mails) ids.insert(mail.message_id);
  BOOST_TEST(mails.size() == static_cast<std::size_t>(kRows));
  BOOST_TEST(ids.size() == static_cast<std::size_t>(kRows));
  BOOST_TEST_MESSAGE(kRows << " mails in " << elapsed << " s: " << kRows / elapsed << " mails/s (one SMTP connection each)");
}

BOOST_AUTO_TEST_SUITE_END()

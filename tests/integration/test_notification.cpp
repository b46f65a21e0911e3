// Citizen notifications end to end: a real gateway (in this process) journals signed stage
// messages and delivers them over ZeroMQ to the real `stagegate notify consume` process,
// which mails a real SMTP server process (aiosmtpd) on 127.0.0.1: one mail per stage change
// with both languages; a server that is down, then up; a permanent 550; a consumer
// SIGKILLed mid-batch and restarted without sending any stage twice.
#define BOOST_TEST_MODULE notification_end_to_end
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>

#include "integration/gateway_fixture.h"
#include "stagegate/bus/delivery_state.h"
#include "stagegate/bus/dispatcher.h"
#include "stagegate/bus/journal.h"
#include "stagegate/notification/outbox.h"
#include "support/child_process.h"
#include "support/smtp_sink.h"

using namespace stagegate;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr const char* kCitizenIin = "920315450126";  // the sample's recipient
constexpr const char* kRejectedIin = "850101300124";
constexpr const char* kUnknownIin = "900202400230";

template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// The sample stage document for another application, stage and recipient.
std::string stage_document(const std::string& application, int stage, const std::string& iin = kCitizenIin) {
  auto document = test::sample_stage();
  document = test::replace_once(document, "<applicationId>002145678912<", "<applicationId>" + application + "<");
  document = test::replace_once(document, "<iin>920315450126<", "<iin>" + iin + "<");
  document = test::replace_once(document, "<stage code=\"2\"", "<stage code=\"" + std::to_string(stage) + "\"");
  if (stage >= 4)
    document = test::replace_once(document, "<stage code", "<executionDate>2026-11-21T12:00:00+05:00</executionDate>\n  <stage code");
  if (stage == 6) document = test::replace_once(document, "/>\n</StageNotification>", "/>\n  <outcome>ISSUED</outcome>\n</StageNotification>");
  return document;
}

struct NotificationFixture : test::GatewayFixture {
  fs::path var = dir / "var";
  std::unique_ptr<test::ChildProcess> consumer;
  std::uint64_t last_sequence = 0;

  NotificationFixture() {
    fs::create_directories(var);
    std::ofstream(dir / "contacts.csv") << "iin,email\n"
                                        << kCitizenIin << ",aigerim@mail.test\n"
                                        << kRejectedIin << ",reject-me@mail.test\n";
    BOOST_REQUIRE_EQUAL(stagegate("contacts-import", {"notify", "contacts", "import", (dir / "contacts.csv").string()}), 0);
  }

  int stagegate(const std::string& log, std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), STAGEGATE_BINARY);
    arguments.insert(arguments.end(), {"--var", var.string()});
    return test::run_to_end(arguments, dir / (log + ".log"));
  }

  void start_consumer(const std::string& smtp_url) {
    consumer = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{STAGEGATE_BINARY, "notify", "consume", "--var", var.string(), "--endpoint",
                                 gateway->bus_endpoint(), "--smtp", smtp_url, "--from", "notify@stagegate.test",
                                 "--retry-first-ms", "200", "--retry-max-ms", "1000", "--template-poll-ms", "100",
                                 "--key", (keys_dir() / "notification.key").string(), "--server-key",
                                 (keys_dir() / "gateway.pub").string()},
        dir / "consumer.log");
    consumer->start();
  }

  void post_stage(const std::string& application, int stage, const std::string& iin = kCitizenIin) {
    const auto reply = post(sign(stage_document(application, stage, iin)));
    BOOST_REQUIRE_MESSAGE(reply.status_code == "SCSS001", reply.status_code + " " + reply.message);
    last_sequence = std::max(last_sequence, *reply.sequence);
  }

  // Everything posted is recorded and nothing is waiting to be sent.
  bool settled() const {
    if (!fs::exists(var / "notification.db")) return false;
    notification::Outbox outbox(var / "notification.db");
    return outbox.last_sequence() >= last_sequence && outbox.count("pending") == 0 && outbox.count("sending") == 0;
  }
  std::vector<notification::OutboxRow> rows(const std::vector<std::string>& states) const {
    return notification::Outbox(var / "notification.db").list(states);
  }
  std::string consumer_log() const { return test::read_text(dir / "consumer.log"); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(notification_end_to_end, NotificationFixture, *boost::unit_test::timeout(120))

BOOST_AUTO_TEST_CASE(one_mail_per_stage_change_in_kazakh_and_russian) {
  test::SmtpSink sink(dir / "smtp");
  start_consumer(sink.url());
  for (int stage = 1; stage <= 6; ++stage) post_stage("002145678912", stage);
  post_stage("002145678912", 3);          // the provider sends a stage again: journaled, not mailed again
  post_stage("000000000404", 1, kUnknownIin);  // nobody to write to
  post_stage("000000000550", 1, kRejectedIin); // the server refuses the mailbox
  BOOST_REQUIRE(eventually([&] { return settled(); }));

  const auto mails = sink.mails();
  BOOST_REQUIRE_EQUAL(mails.size(), 6u);
  std::set<std::string> message_ids;
  const std::vector<std::string> expected_subjects = {
      "Өтінішіңіз қабылданды, № 002145678912 / Ваша заявка принята, № 002145678912",
      "Өтінішіңіз орындауға жіберілді, № 002145678912 / Ваша заявка направлена на исполнение, № 002145678912",
      "Өтінішіңіз орындалуда, № 002145678912 / Ваша заявка исполняется, № 002145678912",
      "Өтінішіңіз орындалды, № 002145678912 / Ваша заявка исполнена, № 002145678912",
      "Нәтиже беруге дайын, № 002145678912 / Результат готов к выдаче, № 002145678912",
      "Өтінішіңіз жабылды, № 002145678912 / Ваша заявка закрыта, № 002145678912"};
  std::set<std::string> subjects;
  for (const auto& mail : mails) {
    BOOST_TEST(mail.to == std::vector<std::string>{"aigerim@mail.test"});
    BOOST_TEST(mail.body.find("Құрметті Сейткали Айгерим Нурлановна!") == 0u);
    BOOST_TEST(mail.body.find("Уважаемый(ая) Сейткали Айгерим Нурлановна!") != std::string::npos);
    BOOST_TEST(mail.body.find("Выдача справки о наличии либо отсутствии судимости") != std::string::npos);
    message_ids.insert(mail.message_id);
    subjects.insert(mail.subject);
  }
  BOOST_TEST(message_ids.size() == 6u);
  BOOST_TEST(subjects == std::set<std::string>(expected_subjects.begin(), expected_subjects.end()));

  const auto undeliverable = rows({"undeliverable"});
  BOOST_REQUIRE_EQUAL(undeliverable.size(), 2u);
  BOOST_TEST(undeliverable[0].entry.application_id == "000000000404");
  BOOST_TEST(undeliverable[0].last_error == "no contact for the recipient (stagegate notify contacts import)");
  BOOST_TEST(undeliverable[1].entry.application_id == "000000000550");
  BOOST_TEST(undeliverable[1].last_error.find("(SMTP 550)") != std::string::npos);

  // The operator's list says the same; no personal data in the consumer's log.
  BOOST_TEST(stagegate("undeliverable", {"notify", "undeliverable"}) == 0);
  const auto listed = test::read_text(dir / "undeliverable.log");
  BOOST_TEST(listed.find("000000000404\t1 RECEIVED") != std::string::npos);
  BOOST_TEST(listed.find("reason=SMTP refused") != std::string::npos);
  BOOST_TEST(listed.find("2 undeliverable notification(s)") != std::string::npos);
  const auto log = consumer_log();
  for (const char* secret : {kCitizenIin, kRejectedIin, kUnknownIin, "Сейткали", "aigerim@", "reject-me@"})
    BOOST_TEST(log.find(secret) == std::string::npos, "the log carries " << secret);
  BOOST_TEST(log.find("stage already notified to this recipient: skipped") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_server_that_is_down_gets_the_mail_when_it_comes_back) {
  const int port = [&] {
    test::SmtpSink probe(dir / "probe");
    return probe.port();
  }();
  start_consumer("smtp://127.0.0.1:" + std::to_string(port));
  post_stage("002145678912", 1);
  BOOST_REQUIRE(eventually([&] {
    if (!fs::exists(var / "notification.db")) return false;
    const auto waiting = rows({"pending"});
    return !waiting.empty() && waiting[0].attempts >= 2;
  }));
  BOOST_TEST(rows({"pending"})[0].last_error.find("Couldn't connect") != std::string::npos);
  BOOST_TEST(stagegate("outbox", {"notify", "outbox"}) == 0);
  BOOST_TEST(test::read_text(dir / "outbox.log").find("002145678912\t1 RECEIVED") != std::string::npos);

  test::SmtpSink sink(dir / "smtp", port);
  const auto mails = sink.wait_for(1);
  BOOST_REQUIRE_EQUAL(mails.size(), 1u);
  BOOST_REQUIRE(eventually([&] { return settled(); }));
  BOOST_TEST(rows({"sent"}).size() == 1u);
  std::this_thread::sleep_for(500ms);  // a retry that should not happen would have by now
  BOOST_TEST(sink.mails().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_consumer_killed_mid_batch_never_mails_a_stage_twice) {
  constexpr int kApplications = 16;
  test::SmtpSink sink(dir / "smtp", 0, 100);  // each 250 comes 100 ms after the mail is stored
  start_consumer(sink.url());
  for (int i = 0; i < kApplications; ++i) post_stage("0000000100" + std::to_string(10 + i), 2);
  BOOST_REQUIRE(sink.wait_for(4).size() >= 4u);
  consumer->stop(SIGKILL);
  const auto at_kill = sink.mails().size();
  BOOST_TEST(at_kill < static_cast<std::size_t>(kApplications));
  for (int i = 0; i < kApplications; ++i) post_stage("0000000100" + std::to_string(10 + i), 2);  // again: no new mail
  start_consumer(sink.url());
  BOOST_REQUIRE(eventually([&] { return settled(); }, 60s));

  const auto mails = sink.mails();
  std::map<std::string, int> copies;
  for (const auto& mail : mails) ++copies[mail.message_id];
  for (const auto& [id, count] : copies) BOOST_TEST(count == 1, id << " arrived " << count << " times");
  const auto sent = rows({"sent"});
  const auto uncertain = rows({"undeliverable"});
  BOOST_TEST(sent.size() + uncertain.size() == static_cast<std::size_t>(kApplications));
  for (const auto& row : sent) BOOST_TEST(copies.count(row.entry.message_id) == 1u);
  for (const auto& row : uncertain) BOOST_TEST(row.last_error.rfind("uncertain: interrupted during the SMTP transaction", 0) == 0u);
  BOOST_TEST(uncertain.size() <= 1u);  // one SMTP transaction at a time: at most one in flight at the kill
  BOOST_TEST(mails.size() >= sent.size());
  BOOST_TEST(mails.size() <= sent.size() + uncertain.size());
  BOOST_TEST_MESSAGE("killed after " << at_kill << " mail(s); in the end " << mails.size() << " mails, " << sent.size()
                                     << " sent, " << uncertain.size() << " uncertain");
}

BOOST_AUTO_TEST_CASE(an_orderly_stop_finishes_the_mail_under_way) {
  constexpr int kApplications = 6;
  test::SmtpSink sink(dir / "smtp", 0, 300);
  start_consumer(sink.url());
  for (int i = 0; i < kApplications; ++i) post_stage("0000000200" + std::to_string(10 + i), 1);
  BOOST_REQUIRE(sink.wait_for(1).size() >= 1u);
  BOOST_TEST(consumer->stop(SIGTERM) == 0);
  BOOST_TEST(consumer_log().find("stagegate notify: stopped") != std::string::npos);
  BOOST_TEST(rows({"sending"}).empty());
  const auto at_stop = rows({"sent"}).size();
  BOOST_TEST(sink.mails().size() == at_stop);  // every mail the server took is recorded sent
  start_consumer(sink.url());
  BOOST_REQUIRE(eventually([&] { return settled(); }));
  BOOST_TEST(rows({"sent"}).size() == static_cast<std::size_t>(kApplications));
  BOOST_TEST(rows({"undeliverable"}).empty());
  BOOST_TEST(sink.mails().size() == static_cast<std::size_t>(kApplications));
}

BOOST_AUTO_TEST_CASE(operators_edit_templates_while_it_runs) {
  test::SmtpSink sink(dir / "smtp");
  start_consumer(sink.url());
  const auto templates = var / "notification-templates";
  BOOST_REQUIRE(eventually([&] { return consumer_log().find("stagegate notify: consumer notification") != std::string::npos; }));
  BOOST_TEST(fs::exists(templates / "received.kk.txt"));  // the built-in set, copied for editing
  BOOST_TEST(stagegate("second", {"notify", "consume", "--smtp", sink.url()}) == 2);  // one consumer per outbox
  BOOST_TEST(test::read_text(dir / "second.log").find("another `stagegate notify consume` is running") != std::string::npos);

  std::ofstream(templates / "received.ru.txt", std::ios::trunc) << "Subject: Заявка {{applicationId}} принята\n\nТекст.\n";
  BOOST_REQUIRE(eventually([&] { return consumer_log().find("received.ru.txt: reloaded") != std::string::npos; }));
  std::ofstream(templates / "sent_for_execution.kk.txt", std::ios::trunc) << "Subject: {{nameOfService}}\n\nМәтін\n";
  BOOST_REQUIRE(eventually([&] { return consumer_log().find("sent_for_execution.kk.txt: refused") != std::string::npos; }));
  BOOST_TEST(consumer_log().find("previous wording kept: line 1: unknown placeholder {{nameOfService}}") != std::string::npos);
  BOOST_TEST(stagegate("check", {"notify", "templates", "check"}) == 1);
  BOOST_TEST(test::read_text(dir / "check.log").find("refused: 1 file(s)") != std::string::npos);

  post_stage("002145678912", 1);
  post_stage("002145678912", 2);
  const auto mails = sink.wait_for(2);
  BOOST_REQUIRE_EQUAL(mails.size(), 2u);
  std::set<std::string> subjects{mails[0].subject, mails[1].subject};
  BOOST_TEST(subjects.count("Өтінішіңіз қабылданды, № 002145678912 / Заявка 002145678912 принята") == 1u);
  BOOST_TEST(subjects.count("Өтінішіңіз орындауға жіберілді, № 002145678912 / Ваша заявка направлена на исполнение, № 002145678912") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

// Bad input on the bus: a real journal and Dispatcher hand the consumer a payload that is not
// a stage message. It is refused until the gateway dead-letters it; the consumer does not
// stop, and the message after it is mailed once.
BOOST_AUTO_TEST_CASE(a_payload_that_does_not_parse_ends_in_the_dead_letters, *boost::unit_test::timeout(120)) {
  test::TempDir dir("stagegate-notify-dlq");
  auto journal = bus::Journal::open(dir / "journal.db");
  bus::DeliveryOptions options;
  options.max_failures = 3;
  bus::Dispatcher dispatcher(journal, "tcp://127.0.0.1:*", options);
  const std::string good = R"({"schema":"stagegate.stage/1","applicationId":"A-1","service":{"code":"Z22-74","name":"Справка"},)"
                           R"("provider":{"name":"Акимат"},"recipient":{"iin":"920315450126","lastName":"Сейткали","firstName":"Айгерим"},)"
                           R"("receptionPlace":"ЦОН","stage":{"code":1,"name":"RECEIVED","at":"2026-11-20T10:42:00+05:00"}})";
  for (const auto& [id, payload] : std::vector<std::pair<std::string, std::string>>{{"bad", "{\"schema\":\"stagegate.stage/1\"}"}, {"good", good}})
    BOOST_REQUIRE(journal.append(bus::JournalInput{"akimat", id, "STAGE_NOTIFICATION", "stage", payload, "<d/>", {{"notification", payload}}}).ok());
  dispatcher.notify();

  test::SmtpSink sink(dir / "smtp");
  std::ofstream(dir / "contacts.csv") << "920315450126,aigerim@mail.test\n";
  const auto var = (dir / "var").string();
  BOOST_REQUIRE_EQUAL(test::run_to_end({STAGEGATE_BINARY, "notify", "contacts", "import", (dir / "contacts.csv").string(), "--var", var},
                                       dir / "import.log"), 0);
  test::ChildProcess consumer({STAGEGATE_BINARY, "notify", "consume", "--var", var, "--endpoint", dispatcher.endpoint(), "--smtp",
                               sink.url(), "--plaintext"},
                              dir / "consumer.log");
  consumer.start();
  const auto mails = sink.wait_for(1);
  BOOST_REQUIRE_EQUAL(mails.size(), 1u);
  BOOST_TEST(mails[0].subject == "Өтінішіңіз қабылданды, № A-1 / Ваша заявка принята, № A-1");
  BOOST_REQUIRE(eventually([&] { return bus::DeliveryState::open(dir / "journal.db").dead_letters().size() == 1; }));
  const auto letter = bus::DeliveryState::open(dir / "journal.db").dead_letters().at(0);
  BOOST_TEST(letter.consumer == "notification");
  BOOST_TEST(letter.sequence == 1u);
  BOOST_TEST(letter.reason.find("stage message: ") != std::string::npos);
  BOOST_TEST(consumer.running());
  std::this_thread::sleep_for(300ms);
  BOOST_TEST(sink.mails().size() == 1u);  // the good one came again after each refusal: mailed once
  BOOST_TEST(consumer.stop(SIGTERM) == 0);
  BOOST_TEST(test::read_text(dir / "consumer.log").find("refused seq=1 code=MALFORMED") != std::string::npos);
}

// `stagegate notify ...`: the citizen notification consumer and its operator commands.
#include <atomic>
#include <pthread.h>
#include <signal.h>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <thread>
#include <utility>

#include "cli/arguments.h"
#include "cli/bus_keys.h"
#include "cli/commands.h"
#include "cli/config_file.h"
#include "stagegate/bus/subscriber.h"
#include "stagegate/core/clock.h"
#include "stagegate/core/log_field.h"
#include "stagegate/notification/consumer.h"
#include "stagegate/notification/consumer_lock.h"
#include "stagegate/notification/sender.h"

namespace stagegate::cli {
namespace {

namespace fs = std::filesystem;
using namespace notification;

fs::path var_dir(const Arguments& args) { return args.get_or("var", "var"); }
fs::path db_file(const Arguments& args) { return args.get_or("db", (var_dir(args) / "notification.db").string()); }
fs::path secret_file(const Arguments& args) {
  return args.get_or("secret", (var_dir(args) / "notification.secret").string());
}

// The bus side of the consumer, in the same shape as `stagegate monitor`'s: a durable named
// consumer of the notification destination resuming after what its outbox recorded.
bus::SubscriberConfig subscriber_config(const Arguments& args, std::uint64_t processed) {
  bus::SubscriberConfig config;
  config.endpoint = args.get_or("endpoint", "tcp://127.0.0.1:5556");
  config.name = args.get_or("name", "notification");
  config.topics = {args.get_or("destination", "notification")};
  config.window = std::stoul(args.get_or("window", "64"));
  config.processed = processed;
  apply_consumer_keys(args, Defaults(var_dir(args)), config.name, config);
  return config;
}

SmtpConfig smtp_config(const Arguments& args) {
  SmtpConfig config;
  config.url = args.required("smtp");
  config.from = args.get_or("from", "stagegate@localhost");
  config.user = args.get_or("smtp-user", "");
  if (const auto file = args.get("smtp-password-file")) {
    std::ifstream in(*file);
    if (!in) throw std::runtime_error("cannot read --smtp-password-file " + *file);
    std::getline(in, config.password);
  }
  config.require_starttls = args.has("smtp-starttls");
  config.timeout_ms = std::stol(args.get_or("smtp-timeout-ms", "30000"));
  return config;
}

RetryPolicy retry_policy(const Arguments& args) {
  RetryPolicy policy;
  policy.max_attempts = std::stoi(args.get_or("max-attempts", "10"));
  policy.first_delay = std::chrono::milliseconds(std::stol(args.get_or("retry-first-ms", "30000")));
  policy.max_delay = std::chrono::milliseconds(std::stol(args.get_or("retry-max-ms", "3600000")));
  if (policy.max_attempts < 1 || policy.first_delay.count() < 0 || policy.max_delay < policy.first_delay)
    throw UsageError("--max-attempts must be at least 1 and --retry-max-ms at least --retry-first-ms");
  return policy;
}

// SIGTERM/SIGINT stop taking messages and let the SMTP transaction under way finish, so an
// orderly stop never leaves a row "uncertain" (docs/notification.md). They are blocked in
// every thread (no EINTR inside ZeroMQ or libcurl) and collected by the main loop.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);  // before any thread starts: they inherit it
  }
  bool arrived() const {
    const timespec now{0, 0};
    return sigtimedwait(&set_, nullptr, &now) > 0;
  }

 private:
  sigset_t set_;
};

void log_line(const std::string& text) { std::clog << now_utc() + " " + text + "\n" << std::flush; }

int consume(Arguments args) {
  args.allow_only({"var", "db", "secret", "endpoint", "name", "destination", "window", "templates", "template-poll-ms",
                   "smtp", "from", "smtp-user", "smtp-password-file", "smtp-starttls", "smtp-timeout-ms", "max-attempts",
                   "retry-first-ms", "retry-max-ms", "key", "server-key", "plaintext", "config"});
  apply_config_file(args, "notification");
  const auto smtp = smtp_config(args);
  const auto policy = retry_policy(args);
  const fs::path builtin = fs::path(STAGEGATE_NOTIFICATION_DATA) / "templates";
  const fs::path templates_dir = args.get_or("templates", (var_dir(args) / "notification-templates").string());
  if (install_templates(builtin, templates_dir)) log_line("templates: copied the built-in set to " + templates_dir.string());
  TemplateSet templates(builtin, templates_dir);
  for (const auto& line : templates.refresh()) log_line("templates: " + line);
  const auto poll = std::chrono::milliseconds(std::stol(args.get_or("template-poll-ms", "2000")));

  const ConsumerLock single(db_file(args));
  Outbox outbox(db_file(args));
  for (const auto id : outbox.settle_interrupted())
    log_line("outbox=" + std::to_string(id) + " undeliverable reason=\"uncertain: interrupted during SMTP\"");
  const auto keys = CitizenKeys::load_or_create(secret_file(args));
  const auto domain = smtp.from.find('@') == std::string::npos ? std::string("localhost") : smtp.from.substr(smtp.from.find('@') + 1);
  NotificationConsumer consumer(outbox, keys, templates, domain);

  const StopSignals stop_signals;
  const SmtpMailer mailer(smtp);
  Sender sender(outbox, mailer, policy, log_line);
  std::mutex wake_mutex;
  std::condition_variable_any wake;  // wakes on a queued row and on stop
  std::uint64_t queued = 0;          // rows queued so far, so a wake-up between look and wait is not lost
  std::jthread sending([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      std::uint64_t seen = 0;
      {
        std::lock_guard lock(wake_mutex);
        seen = queued;
      }
      if (sender.deliver_next()) continue;
      std::unique_lock lock(wake_mutex);
      wake.wait_for(lock, stop, sender.idle_wait(std::chrono::seconds(1)), [&] { return queued != seen; });
    }
  });

  const auto config = subscriber_config(args, outbox.last_sequence());
  bus::Subscriber subscriber(config);
  if (!subscriber.wait_ready(std::chrono::seconds(10)) && subscriber.denied()) {
    log_line("stagegate notify: refused by the gateway: " + subscriber.last_error());
    return 1;
  }
  log_line("stagegate notify: consumer " + config.name + " on " + config.endpoint + ", outbox " + db_file(args).string() +
           ", templates " + templates_dir.string() + ", resuming after " + std::to_string(config.processed) + ", " +
           std::to_string(outbox.count("pending")) + " pending");
  auto next_poll = std::chrono::steady_clock::now() + poll;
  while (!stop_signals.arrived()) {
    if (std::chrono::steady_clock::now() >= next_poll) {
      for (const auto& line : templates.refresh()) log_line("templates: " + line);
      next_poll = std::chrono::steady_clock::now() + poll;
    }
    const auto message = subscriber.receive(std::chrono::milliseconds(200));
    if (!message) continue;
    const auto recorded = consumer.handle(message->payload, message->sequence);
    if (!recorded) {
      log_line("refused seq=" + std::to_string(message->sequence) + " code=" +
               std::string(contract_code(recorded.refusal().code)) + " reason=" + log_field(recorded.refusal().reason));
      subscriber.refuse(*message, recorded.refusal().reason);
      continue;
    }
    if (recorded.value() == Recorded::AlreadyKnown)
      log_line("seq=" + std::to_string(message->sequence) + " stage already notified to this recipient: skipped");
    subscriber.acknowledge(*message);
    if (recorded.value() == Recorded::Queued) {
      std::lock_guard lock(wake_mutex);
      ++queued;
      wake.notify_one();
    }
  }
  sending.request_stop();
  sending.join();
  log_line("stagegate notify: stopped, " + std::to_string(outbox.count("pending")) + " pending");
  return 0;
}

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\"");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\"");
  return text.substr(first, last - first + 1);
}

bool plausible_email(const std::string& email) {
  const auto at = email.find('@');
  return at != std::string::npos && at > 0 && at + 1 < email.size() && email.find('@', at + 1) == std::string::npos &&
         email.find_first_of(" \t<>,;\"\\()[]") == std::string::npos && email.size() <= 254;
}

// CSV `iin,email` (or `bin,email`), an optional header line, `#` comments. All or nothing:
// a bad line refuses the file, named by its number (never its content: personal data).
int import_contacts(const Arguments& args) {
  args.allow_only({"var", "db", "secret"});
  if (args.positional().size() != 3) throw UsageError("notify contacts import FILE.csv");
  const auto& file = args.positional()[2];
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file);
  const auto keys = CitizenKeys::load_or_create(secret_file(args));
  std::vector<std::pair<std::string, std::string>> contacts;
  std::string line;
  bool first = true;
  for (int number = 1; std::getline(in, line); ++number) {
    if (trim(line).empty() || trim(line).front() == '#') continue;
    const bool may_be_header = std::exchange(first, false);
    const auto comma = line.find(',');
    const auto id = trim(line.substr(0, comma));
    const auto email = comma == std::string::npos ? std::string() : trim(line.substr(comma + 1));
    if (may_be_header && !id.empty() && !std::isdigit(static_cast<unsigned char>(id.front()))) continue;  // header
    if (id.size() != 12 || id.find_first_not_of("0123456789") != std::string::npos) {
      std::cerr << "stagegate notify: " << file << " line " << number << ": the first column must be a 12-digit IIN or BIN\n";
      return 1;
    }
    if (!plausible_email(email)) {
      std::cerr << "stagegate notify: " << file << " line " << number << ": the second column must be one e-mail address\n";
      return 1;
    }
    contacts.emplace_back(keys.digest(id), email);
  }
  Outbox outbox(db_file(args));
  const auto imported = outbox.import_contacts(contacts);
  if (!imported) {
    std::cerr << "stagegate notify: " << imported.refusal().reason << '\n';
    return 1;
  }
  std::cout << imported.value() << " contact(s) imported into " << db_file(args).string() << '\n';
  return 0;
}

std::string when(std::int64_t unix_ms) {
  if (unix_ms == 0) return "now";
  return format_utc(std::chrono::system_clock::time_point(std::chrono::milliseconds(unix_ms)));
}

int show(const Arguments& args, const std::vector<std::string>& states, bool undeliverable) {
  args.allow_only({"var", "db"});
  const Outbox outbox(db_file(args));
  const auto rows = outbox.list(states);
  for (const auto& row : rows) {
    std::cout << row.id << '\t' << row.state << '\t' << row.entry.application_id << '\t' << row.entry.stage << ' '
              << row.entry.stage_name << "\tattempts=" << row.attempts << '\t';
    if (undeliverable) std::cout << "at=" << row.finished_at << "\treason=" << row.last_error;
    else std::cout << "next=" << when(row.next_attempt_ms) << (row.last_error.empty() ? "" : "\tlast=" + row.last_error);
    std::cout << '\n';
  }
  std::cerr << rows.size() << (undeliverable ? " undeliverable" : " waiting") << " notification(s)\n";
  return 0;
}

int resend(const Arguments& args) {
  args.allow_only({"var", "db"});
  const auto& words = args.positional();
  if (words.size() != 2 || words[1].empty() || words[1].find_first_not_of("0123456789") != std::string::npos || words[1].size() > 18)
    throw UsageError("notify resend ID (the number `stagegate notify undeliverable` shows)");
  Outbox outbox(db_file(args));
  const auto done = outbox.resend(std::stoll(words[1]));
  if (!done) {
    std::cerr << "stagegate notify: " << done.refusal().reason << '\n';
    return 1;
  }
  std::cout << "outbox row " << args.positional()[1] << " is pending again\n";
  return 0;
}

int check_templates(const Arguments& args) {
  args.allow_only({"var", "templates"});
  const fs::path dir = args.positional().size() == 3 ? fs::path(args.positional()[2])
                                                     : fs::path(args.get_or("templates", (var_dir(args) / "notification-templates").string()));
  TemplateSet templates(fs::path(STAGEGATE_NOTIFICATION_DATA) / "templates", dir);
  int refused = 0;
  for (const auto& line : templates.refresh()) {
    std::cout << line << '\n';
    refused += line.find(": refused") != std::string::npos;
  }
  std::cout << (refused ? "refused: " + std::to_string(refused) + " file(s)" : "ok") << '\n';
  return refused ? 1 : 0;
}

}  // namespace

int notify(int argc, char** argv) {
  const Arguments args(argc, argv, 2, {"smtp-starttls", "plaintext"});
  const auto& words = args.positional();
  if (words.empty()) throw UsageError("notify takes consume | contacts import FILE | outbox | undeliverable | resend ID | templates check [DIR]");
  if (words[0] == "consume" && words.size() == 1) return consume(args);
  if (words[0] == "contacts" && words.size() >= 2 && words[1] == "import") return import_contacts(args);
  if (words[0] == "outbox" && words.size() == 1) return show(args, {"pending", "sending"}, false);
  if (words[0] == "undeliverable" && words.size() == 1) return show(args, {"undeliverable"}, true);
  if (words[0] == "resend") return resend(args);
  if (words[0] == "templates" && words.size() >= 2 && words[1] == "check") return check_templates(args);
  throw UsageError("notify takes consume | contacts import FILE | outbox | undeliverable | resend ID | templates check [DIR]");
}

}  // namespace stagegate::cli

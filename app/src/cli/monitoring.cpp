#include <chrono>
#include <iostream>

#include "cli/arguments.h"
#include "cli/bus_keys.h"
#include "cli/commands.h"
#include "cli/config_file.h"
#include "cli/defaults.h"
#include "stagegate/bus/subscriber.h"
#include "stagegate/core/clock.h"
#include "stagegate/core/log_field.h"
#include "stagegate/monitoring/local_time.h"
#include "stagegate/monitoring/monitor.h"
#include "stagegate/monitoring/report.h"
#include "stagegate/monitoring/report_archive.h"

namespace stagegate::cli {
namespace {

// A SQLite file (var/monitoring.db by default) or a PostgreSQL connection string.
std::string store_location(const Arguments& args) {
  return args.get_or("store", (std::filesystem::path(args.get_or("var", "var")) / "monitoring.db").string());
}

// For logs: a connection string may carry a password.
std::string describe_store(const std::string& location) {
  if (!monitoring::names_postgres(location)) return location;
  std::string shown = location;
  if (const auto scheme = shown.find("://"); scheme != std::string::npos) {
    const auto at = shown.find('@', scheme);
    const auto colon = shown.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) shown.replace(colon + 1, at - colon - 1, "***");
  }
  if (const auto password = shown.find("password="); password != std::string::npos) {
    const auto value = password + 9;
    const auto end = shown.find(' ', value);
    shown.replace(value, end == std::string::npos ? std::string::npos : end - value, "***");
  }
  return "PostgreSQL " + shown;
}

monitoring::WorkingCalendar load_calendar(const Arguments& args) {
  return monitoring::WorkingCalendar::load(args.get_or("calendar", STAGEGATE_MONITORING_DATA "/kz-calendar.conf"));
}

// The zone every local date is taken in (monitoring/local_time.h), for the whole process.
void choose_time_zone(const Arguments& args) {
  monitoring::set_local_time_zone(args.get_or("time-zone", monitoring::kDefaultTimeZone));
}

monitoring::Date today(const Arguments& args) {
  choose_time_zone(args);
  if (args.has("today")) return monitoring::parse_date(args.required("today"));
  return monitoring::local_today();
}

}  // namespace

// The monitoring consumer: a named, acknowledged subscriber to the monitoring destination
// (or --destination) that keeps
// each application's stages, planned date and overdue in its store.
int monitor(int argc, char** argv) {
  Arguments args(argc, argv, 2, {"plaintext"});
  std::vector<std::string> known{"endpoint", "store", "var", "calendar", "services", "name", "window", "destination",
                                 "time-zone", "config"};
  known.insert(known.end(), kConsumerBusKeyOptions.begin(), kConsumerBusKeyOptions.end());
  args.allow_only(known);
  apply_config_file(args, "monitor");
  choose_time_zone(args);
  const auto calendar = load_calendar(args);
  const auto services = monitoring::ServiceCatalogue::load(args.get_or("services", STAGEGATE_MONITORING_DATA "/services.conf"));
  auto store = monitoring::open_store(store_location(args));
  monitoring::Monitor monitor(*store, calendar, services, [](const std::string& warning) {
    std::clog << now_utc() << " stagegate monitor: warning: " << warning << std::endl;
  });

  bus::SubscriberConfig config;
  config.endpoint = args.get_or("endpoint", "tcp://127.0.0.1:5556");
  config.name = args.get_or("name", "monitoring");
  config.topics = {args.get_or("destination", "monitoring")};
  config.window = std::stoul(args.get_or("window", "64"));
  config.processed = store->last_sequence();
  apply_consumer_keys(args, Defaults(args.get_or("var", "var")), config.name, config);
  bus::Subscriber subscriber(config);
  const auto refused = [&subscriber] {
    std::clog << now_utc() << " stagegate monitor: refused by the gateway: " << subscriber.last_error() << std::endl;
    return 1;
  };
  if (!subscriber.wait_ready(std::chrono::seconds(10)) && subscriber.denied()) return refused();
  std::clog << "stagegate monitor: consumer " << config.name << " on " << config.endpoint << ", store "
            << describe_store(store_location(args)) << ", resuming after " << config.processed << ", " << services.size()
            << " services in the catalogue, local dates in " << monitoring::local_time_zone() << std::endl;
  for (;;) {
    const auto message = subscriber.receive(std::chrono::seconds(1));
    if (!message && subscriber.denied()) return refused();
    if (!message) continue;
    const auto applied = monitor.handle(message->payload, message->sequence);
    if (!applied) {
      std::clog << now_utc() << " refused seq=" << message->sequence << " code=" << contract_code(applied.refusal().code)
                << " reason=" << log_field(applied.refusal().reason) << std::endl;
      subscriber.refuse(*message, applied.refusal().reason);
      continue;
    }
    if (applied.value() == monitoring::Applied::RecordedAfterClosed)
      std::clog << now_utc() << " seq=" << message->sequence << ": stage after CLOSED recorded and flagged" << std::endl;
    if (applied.value() == monitoring::Applied::RecordedWithFinding)
      std::clog << now_utc() << " seq=" << message->sequence << ": recorded with a data finding (see status --problems)"
                << std::endl;
    subscriber.acknowledge(*message);
  }
}

int status(int argc, char** argv) {
  const Arguments args(argc, argv, 2, {"problems"});
  args.allow_only({"application", "store", "var", "calendar", "today", "time-zone", "problems"});
  const auto calendar = load_calendar(args);
  const auto day = today(args);
  auto store = monitoring::open_store(store_location(args));
  if (args.has("problems")) {
    // Applications with no planned date (and why) or with data findings, for operators to act on.
    std::cout << monitoring::describe_problems(store->with_problems());
    return 0;
  }
  const auto found = store->find(args.required("application"));
  if (found.empty()) {
    std::cerr << "stagegate status: no application " << args.required("application") << " in " << describe_store(store_location(args)) << '\n';
    return 1;
  }
  for (const auto& application : found) std::cout << monitoring::describe(application, day, calendar);
  return 0;
}

// The month's report, issued (--issue: frozen and signed) or compared with the issued one.
int report(int argc, char** argv) {
  const Arguments args(argc, argv, 2, {"issue", "verify"});
  args.allow_only({"month", "format", "lang", "store", "var", "calendar", "bodies", "today", "time-zone", "issue", "verify",
                   "archive", "signing-key", "signing-cert"});
  if (args.positional().size() != 1 || args.positional().front() != "violations")
    throw UsageError("report takes: violations --month YYYY-MM [--format csv|html|json] [--lang ru|kk] [--issue | --verify]");
  const auto month = args.required("month");
  const Defaults defaults(args.get_or("var", "var"));
  const monitoring::ReportArchive archive(args.get_or("archive", (defaults.var() / "reports").string()));
  auto issued = archive.find(month);
  if (!issued) {
    std::cerr << "stagegate report: " << issued.refusal().reason << '\n';
    return 1;
  }
  if (args.has("verify")) {
    if (!issued.value()) {
      std::cerr << "stagegate report: " << month << " was not issued (" << archive.file_of(month).string() << ")\n";
      return 1;
    }
    const auto verified = monitoring::verify_issued_report(*issued.value());
    if (!verified) {
      std::cerr << "stagegate report: " << month << " FAILS: " << verified.refusal().reason << '\n';
      return 1;
    }
    std::cout << month << " issued " << issued.value()->issued_at << ", SHA-256 " << issued.value()->sha256
              << ": hash and signature verify\n";
    return 0;
  }

  const auto calendar = load_calendar(args);
  const auto bodies = monitoring::BodiesCatalogue::load(args.get_or("bodies", STAGEGATE_MONITORING_DATA "/bodies.conf"));
  auto store = monitoring::open_store(store_location(args));
  const auto day = today(args);
  auto report = monitoring::build_violation_report(*store, calendar, month, day, bodies);
  const auto language = monitoring::report_language(args.get_or("lang", "ru"));

  if (args.has("issue")) {
    const auto first = monitoring::parse_date(month + "-01");
    const monitoring::Date last = first.year() / first.month() / std::chrono::last;
    if (std::chrono::sys_days(day) <= std::chrono::sys_days(last))
      throw UsageError(month + " is not over yet: a month's report is issued after its last day");
    auto made = archive.issue(month, monitoring::report_json(report),
                              args.get_or("signing-key", defaults.tls_key().string()),
                              args.get_or("signing-cert", defaults.tls_certificate().string()));
    if (!made) {
      std::cerr << "stagegate report: " << made.refusal().reason << '\n';
      return 1;
    }
    std::cout << "issued " << month << " at " << made->issued_at << ": " << archive.file_of(month).string() << ", SHA-256 "
              << made->sha256 << '\n';
    return 0;
  }
  if (issued.value()) {
    report.issued_at = issued.value()->issued_at;
    report.issued_sha256 = issued.value()->sha256;
    report.corrections = monitoring::report_corrections(issued.value()->report, report);
  }
  const auto format = args.get_or("format", "csv");
  if (format == "csv") std::cout << monitoring::report_csv(report, language);
  else if (format == "json") std::cout << monitoring::report_json(report);
  else if (format == "html") std::cout << monitoring::report_html(report, language);
  else throw UsageError("--format takes csv, html or json");
  return 0;
}

}  // namespace stagegate::cli

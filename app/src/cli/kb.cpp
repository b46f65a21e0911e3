// `stagegate kb ...`: the contact center's knowledge-base consumer and its operator commands.
#include <iostream>

#include "cli/arguments.h"
#include "cli/bus_keys.h"
#include "cli/commands.h"
#include "cli/config_file.h"
#include "stagegate/bus/subscriber.h"
#include "stagegate/core/clock.h"
#include "stagegate/knowledge_base/knowledge_base.h"
#include "stagegate/knowledge_base/lookup_server.h"
#include "stagegate/knowledge_base/onboarding.h"
#include "stagegate/monitoring/store.h"

namespace stagegate::cli {
namespace {

namespace kb = knowledge_base;

std::filesystem::path var_dir(const Arguments& args) { return args.get_or("var", "var"); }
// A SQLite file (var/knowledge_base.db by default) or a PostgreSQL connection string.
std::string store_location(const Arguments& args) {
  return args.get_or("store", (var_dir(args) / "knowledge_base.db").string());
}
// For logs: a connection string may carry a password.
std::string describe_store(const std::string& location) {
  return monitoring::names_postgres(location) ? std::string("PostgreSQL") : location;
}
std::filesystem::path secret_file(const Arguments& args) {
  return args.get_or("secret", (var_dir(args) / "kb-secret").string());
}
std::filesystem::path operators_file(const Arguments& args) {
  return args.get_or("operators", (var_dir(args) / "kb-operators.conf").string());
}
monitoring::WorkingCalendar load_calendar(const Arguments& args) {
  return monitoring::WorkingCalendar::load(args.get_or("calendar", STAGEGATE_MONITORING_DATA "/kz-calendar.conf"));
}

// The bus side of the consumer, in one place (and in the shape of `stagegate monitor`).
bus::SubscriberConfig subscriber_config(const Arguments& args, std::uint64_t processed) {
  bus::SubscriberConfig config;
  config.endpoint = args.get_or("endpoint", "tcp://127.0.0.1:5556");
  config.name = args.get_or("name", "knowledge_base");
  config.topics = {args.get_or("destination", "knowledge_base")};
  config.window = std::stoul(args.get_or("window", "64"));
  config.processed = processed;
  apply_consumer_keys(args, Defaults(args.get_or("var", "var")), config.name, config);
  return config;
}

kb::LookupConfig lookup_config(const Arguments& args) {
  kb::LookupConfig config;
  const auto listen = args.get_or("listen", "127.0.0.1:8090");
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw UsageError("--listen takes HOST:PORT");
  config.host = listen.substr(0, colon);
  config.port = std::stoi(listen.substr(colon + 1));
  config.requests_per_minute = std::stoi(args.get_or("rate", "60"));
  return config;
}

int consume(int argc, char** argv) {
  Arguments args(argc, argv, 3, {"plaintext"});
  args.allow_only({"var", "endpoint", "store", "secret", "operators", "calendar", "services", "listen", "rate", "name",
                   "destination", "window", "key", "server-key", "plaintext", "config"});
  apply_config_file(args, "knowledge_base");
  const auto calendar = load_calendar(args);
  const auto services = monitoring::ServiceCatalogue::load(args.get_or("services", STAGEGATE_MONITORING_DATA "/services.conf"));
  const auto key = kb::RecipientKey::load_or_create(secret_file(args));
  const auto opened = kb::open_knowledge_store(store_location(args));
  auto& store = *opened;
  kb::KnowledgeBase knowledge_base(store, key, calendar, services);
  const kb::OperatorRegistry operators(operators_file(args));
  kb::LookupServer lookup(lookup_config(args), store, key, operators, calendar);
  lookup.start();

  const auto config = subscriber_config(args, store.last_sequence());
  bus::Subscriber subscriber(config);
  if (!subscriber.wait_ready(std::chrono::seconds(10)) && subscriber.denied()) {
    std::clog << now_utc() << " stagegate kb: refused by the gateway: " << subscriber.last_error() << std::endl;
    return 1;
  }
  std::clog << "stagegate kb: consumer " << config.name << " on " << config.endpoint << ", store " << describe_store(store_location(args))
            << ", resuming after " << config.processed << "; stage lookup on http://" << lookup_config(args).host << ':'
            << lookup.port() << "/api/v1/applications/{id}?iin=..." << std::endl;
  while (!subscriber.denied()) kb::consume_one(subscriber, knowledge_base, std::chrono::seconds(1));
  std::clog << now_utc() << " stagegate kb: refused by the gateway: " << subscriber.last_error() << std::endl;
  return 1;
}

void print_version(const kb::ServiceVersion& version) {
  const auto& info = version.info;
  std::cout << "service " << info.registry_number << ", body " << info.body_bin << " (" << info.body_name << "), version "
            << version.version << " received " << version.received_at << " (seq " << version.sequence << ")\n"
            << "  name (kk):     " << info.name_kk << "\n"
            << "  name (ru):     " << info.name_ru << "\n"
            << "  standard:      " << info.standard << "\n"
            << "  regulation:    " << info.regulation << "\n";
  if (!info.legal_changes.empty()) std::cout << "  legal changes: " << info.legal_changes << "\n";
  std::cout << "  url:           " << info.url << "\n"
            << "  responsible:   " << info.responsible_name << ", " << info.responsible_position << ", "
            << info.responsible_phone << ", " << info.responsible_email << "\n";
}

int service(int argc, char** argv) {
  const Arguments args(argc, argv, 3, {"history"});
  args.allow_only({"var", "store", "at", "history"});
  if (args.positional().size() != 1) throw UsageError("kb service takes one service code");
  const auto& code = args.positional().front();
  const auto opened = kb::open_knowledge_store(store_location(args));
  const auto& store = *opened;
  std::vector<kb::ServiceVersion> versions;
  if (args.has("history")) {
    versions = store.service_history(code);
  } else {
    const auto at = args.get_or("at", kb::kazakhstan_date(now_utc()));
    monitoring::parse_date(at);  // refuses anything but YYYY-MM-DD
    versions = store.service_at(code, at);
  }
  if (versions.empty()) {
    std::cerr << "stagegate kb service: no information on " << code
              << (args.has("at") ? " as of " + args.required("at") : std::string()) << '\n';
    return 1;
  }
  for (const auto& version : versions) print_version(version);
  return 0;
}

int record(int argc, char** argv) {
  const Arguments args(argc, argv, 3);
  args.allow_only({"var", "store", "body", "service", "date", "note"});
  if (args.positional().size() != 1 || !kb::is_event_kind(args.positional().front()))
    throw UsageError("kb record takes one of request, appointed, training, protocol, consulting, change, refusal, reported");
  kb::OnboardingEvent event;
  event.kind = args.positional().front();
  event.body_bin = args.required("body");
  if (event.body_bin.size() != 12 || event.body_bin.find_first_not_of("0123456789") != std::string::npos)
    throw UsageError("--body takes the government body's 12-digit BIN");
  event.service_code = args.get_or("service", "");
  if (event.service_code.empty() && event.kind != "refusal" && event.kind != "reported")
    throw UsageError("kb record " + event.kind + " needs --service CODE");
  event.date = monitoring::format_date(monitoring::parse_date(args.required("date")));
  event.note = args.get_or("note", "");
  event.recorded_at = now_utc();
  const auto store = kb::open_knowledge_store(store_location(args));
  const auto id = store->record_event(event);
  if (!id) {
    std::cerr << "stagegate kb record: " << id.refusal().reason << '\n';
    return 1;
  }
  std::cout << "recorded " << event.kind << " #" << id.value() << " for body " << event.body_bin
            << (event.service_code.empty() ? std::string() : " service " + event.service_code) << " on " << event.date << '\n';
  return 0;
}

int overdue(int argc, char** argv) {
  const Arguments args(argc, argv, 3);
  args.allow_only({"var", "store", "calendar", "today"});
  const auto calendar = load_calendar(args);
  const auto opened = kb::open_knowledge_store(store_location(args));
  const auto& store = *opened;
  const auto today = monitoring::parse_date(args.get_or("today", kb::kazakhstan_date(now_utc())));
  std::cout << kb::describe_overdue(kb::onboarding_deadlines(store, calendar, today), store);
  return 0;
}

int events(int argc, char** argv) {
  const Arguments args(argc, argv, 3);
  args.allow_only({"var", "store"});
  const auto store = kb::open_knowledge_store(store_location(args));
  for (const auto& event : store->events())
    std::cout << '#' << event.id << ' ' << event.date << ' ' << event.kind << " body " << event.body_bin
              << (event.service_code.empty() ? std::string() : " service " + event.service_code)
              << (event.note.empty() ? std::string() : " note " + event.note) << " (recorded " << event.recorded_at << ")\n";
  return 0;
}

int operator_command(int argc, char** argv) {
  const Arguments args(argc, argv, 3);
  args.allow_only({"var", "operators"});
  if (args.positional().size() != 2 || args.positional().front() != "add") throw UsageError("kb operator takes: add NAME");
  const auto token = kb::OperatorRegistry::add(operators_file(args), args.positional()[1]);
  std::cerr << "operator " << args.positional()[1] << " added to " << operators_file(args).string()
            << "; the token below is shown once, only its SHA-256 is kept:\n";
  std::cout << token << '\n';
  return 0;
}

}  // namespace

int kb(int argc, char** argv) {
  if (argc < 3) throw UsageError("kb takes: consume | service CODE | record KIND | events | overdue | operator add NAME");
  const std::string_view command = argv[2];
  if (command == "consume") return consume(argc, argv);
  if (command == "service") return service(argc, argv);
  if (command == "record") return record(argc, argv);
  if (command == "overdue") return overdue(argc, argv);
  if (command == "events") return events(argc, argv);
  if (command == "operator") return operator_command(argc, argv);
  throw UsageError("unknown kb command " + std::string(command));
}

}  // namespace stagegate::cli

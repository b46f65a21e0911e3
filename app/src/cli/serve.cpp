#include <fstream>
#include <csignal>
#include <iostream>

#include "cli/arguments.h"
#include "cli/bus_keys.h"
#include "cli/commands.h"
#include "cli/config_file.h"
#include "cli/defaults.h"
#include "cli/revocation.h"
#include "stagegate/adapters/wsdl.h"
#include "stagegate/app/gateway.h"

namespace stagegate::cli {
namespace {

std::pair<std::string, int> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw UsageError("--listen takes HOST:PORT, got " + listen);
  try {
    return {listen.substr(0, colon), std::stoi(listen.substr(colon + 1))};
  } catch (const std::exception&) {
    throw UsageError("--listen takes HOST:PORT, got " + listen);
  }
}

// A numeric option as given, whole and not negative (as the configuration file requires), or
// its default; "--workers abc" is the operator's mistake, not std::stoi's.
long long whole_number(const Arguments& args, const std::string& name, long long fallback) {
  const auto text = args.get(name);
  if (!text) return fallback;
  std::size_t used = 0;
  long long value = -1;
  try {
    value = std::stoll(*text, &used);
  } catch (const std::exception&) {
  }
  if (used != text->size() || value < 0) throw UsageError("--" + name + " takes a whole number of 0 or more, got \"" + *text + "\"");
  return value;
}

double number(const Arguments& args, const std::string& name, double fallback) {
  const auto text = args.get(name);
  if (!text) return fallback;
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(*text, &used);
  } catch (const std::exception&) {
  }
  if (used != text->size() || !(value >= 0)) throw UsageError("--" + name + " takes a number of 0 or more, got \"" + *text + "\"");
  return value;
}

// Missing certificates and unwritable paths, all at once and by name, before anything starts.
void startup_checks(const Arguments& args) {
  std::vector<std::pair<std::string, std::string>> settings;
  for (const auto* key : {"tls-cert", "tls-key", "tls-client-ca", "ca", "crl", "providers", "routes", "journal"})
    for (const auto& value : args.all(key)) settings.emplace_back(key, value);
  const auto problems = path_problems(settings);
  if (problems.empty()) return;
  std::string text;
  for (const auto& problem : problems) text += "\n  " + problem;
  throw std::runtime_error("cannot start:" + text);
}

// The operator token: the file's first line (dev-setup makes VAR/ops.token, 0600).
std::string read_operator_token(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string token;
  if (!in || !std::getline(in, token))
    throw std::runtime_error("cannot read the operator token " + file.string() + " (stagegate dev-setup makes one)");
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.size() < 16) throw std::runtime_error(file.string() + ": an operator token has at least 16 characters");
  return token;
}

}  // namespace

int serve(int argc, char** argv) {
  Arguments args(argc, argv, 2, {"quiet", "tls-require-client-cert", "bus-plaintext", "no-revocation-check"});
  std::vector<std::string> known{"var", "listen", "bus", "journal", "providers", "routes", "ca", "crl", "no-revocation-check", "workers", "quiet", "reload-poll",
                                 "tls-cert", "tls-key", "tls-client-ca", "tls-require-client-cert",
                                 "max-backlog", "min-free-disk-mb", "max-failures", "keep-payload-days", "keep-receipt-days",
                                 "request-timeout", "max-connections", "public-url", "config", "ops-listen", "ops-token-file", "log-format",
                                 "commit-window-ms", "journal-page-size"};
  known.insert(known.end(), kServerBusKeyOptions.begin(), kServerBusKeyOptions.end());
  args.allow_only(known);
  apply_config_file(args, "serve");
  startup_checks(args);
  const Defaults defaults(args.get_or("var", "var"));

  app::GatewayConfig config;
  std::tie(config.server.host, config.server.port) = parse_listen(args.get_or("listen", "127.0.0.1:8080"));
  config.server.workers = static_cast<int>(whole_number(args, "workers", 0));
  config.server.request_timeout_seconds = static_cast<int>(whole_number(args, "request-timeout", 10));
  config.server.max_connections = static_cast<int>(whole_number(args, "max-connections", 1024));
  config.server.public_url = args.get_or("public-url", "");
  if (const auto problem = config.server.public_url.empty() ? std::nullopt : adapters::public_url_problem(config.server.public_url))
    throw UsageError("--public-url: " + *problem);
  config.bus_endpoint = args.get_or("bus", "tcp://127.0.0.1:5556");
  config.delivery.security = server_bus_security(args, defaults, config.bus_endpoint);
  config.journal = args.get_or("journal", defaults.journal().string());
  auto& journal = config.journal_options;  // its defaults are the options' own
  const double commit_window_ms =
      number(args, "commit-window-ms", std::chrono::duration<double, std::milli>(journal.commit_window).count());
  if (commit_window_ms > kMostCommitWindowMs)
    throw UsageError("--commit-window-ms takes 0 to " + std::to_string(kMostCommitWindowMs));
  journal.commit_window = std::chrono::microseconds(static_cast<long>(commit_window_ms * 1000));
  const long long page_size = whole_number(args, "journal-page-size", static_cast<long long>(journal.page_size));
  if (!is_journal_page_size(page_size)) throw UsageError("--journal-page-size takes a power of two from 512 to 65536");
  journal.page_size = static_cast<std::size_t>(page_size);
  config.providers = args.get_or("providers", defaults.providers().string());
  config.routes = args.get_or("routes", "");
  for (const auto& ca : args.all("ca")) config.trust.anchors.emplace_back(ca);
  const bool development_anchors = config.trust.anchors.empty();
  if (development_anchors) config.trust.anchors.push_back(defaults.ca_certificate());
  config.trust = revocation_options(args, std::move(config.trust), development_anchors ? defaults.crl() : "");
  config.log_messages = !args.has("quiet");
  if (const auto format = args.get_or("log-format", "json"); format == "text") config.log_format = app::LogFormat::Text;
  else if (format != "json") throw UsageError("--log-format takes json or text");
  auto& delivery = config.delivery;
  delivery.max_backlog = static_cast<std::uint64_t>(whole_number(args, "max-backlog", static_cast<long long>(delivery.max_backlog)));
  delivery.min_free_disk_bytes =
      static_cast<std::uint64_t>(whole_number(args, "min-free-disk-mb", static_cast<long long>(delivery.min_free_disk_bytes >> 20))) << 20;
  delivery.max_failures = static_cast<int>(whole_number(args, "max-failures", delivery.max_failures));
  delivery.keep_payloads = std::chrono::hours(24 * whole_number(args, "keep-payload-days", 30));
  delivery.keep_receipts = std::chrono::hours(24 * whole_number(args, "keep-receipt-days", 90));
  if (args.has("tls-cert")) {
    config.server.tls = adapters::ServerTls{args.required("tls-cert"), args.required("tls-key"),
                                            args.get_or("tls-client-ca", ""), args.has("tls-require-client-cert")};
  } else if (args.has("tls-key") || args.has("tls-client-ca") || args.has("tls-require-client-cert")) {
    throw UsageError("the TLS options need --tls-cert");
  }
  config.reload_poll = std::chrono::milliseconds(static_cast<long>(number(args, "reload-poll", 2) * 1000));
  if (const auto ops_listen = args.get("ops-listen")) {
    config.ops.listen = *ops_listen;
    config.ops.token = read_operator_token(args.get_or("ops-token-file", defaults.ops_token().string()));
  } else if (args.has("ops-token-file")) {
    throw UsageError("--ops-token-file needs --ops-listen");
  }

  // Signals are taken synchronously below, so every thread started from here must not see them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  app::Gateway gateway(config);
  gateway.start();
  std::clog << "stagegate: SyncChannel on " << (config.server.tls ? "https://" : "http://") << config.server.host << ':' << gateway.soap_port()
            << "/ (WSDL at ?wsdl), bus " << gateway.bus_endpoint() << ", journal " << config.journal.string()
            << " (" << gateway.journaled() << " messages)"
            << (config.delivery.security ? "; bus CURVE for the keys in " + config.delivery.security->consumers_file.string()
                                         : std::string("; bus PLAINTEXT: anyone reaching it reads every message"))
            << (gateway.ops_port() ? "; operators: http://" + config.ops.listen.substr(0, config.ops.listen.rfind(':')) + ':' +
                                         std::to_string(gateway.ops_port()) + "/metrics, /healthz, /readyz"
                                   : std::string())
            << std::endl;

  int signal = 0;
  while (sigwait(&stop_signals, &signal) == 0 && signal == SIGHUP) {
    const auto outcome = gateway.reload();
    std::clog << "stagegate: SIGHUP: " << outcome.message << std::endl;
  }
  std::clog << "stagegate: stopping on signal " << signal << std::endl;
  gateway.stop();
  return 0;
}

}  // namespace stagegate::cli

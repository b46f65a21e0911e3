#include "cli/config_file.h"

#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <toml++/toml.h>

#include "cli/arguments.h"
#include "stagegate/adapters/wsdl.h"

namespace stagegate::cli {
namespace {

enum class Kind { text, integer, number, flag, texts };

struct Setting {
  const char* table;
  const char* key;  // the `serve` option's name
  Kind kind;
  const char* value;  // the default as TOML; nullptr: none (the key is shown commented out)
  const char* comment;
};

// Paths relative to the directory serve runs in (under systemd: WorkingDirectory).
constexpr Setting kSettings[] = {
    {"gateway", "var", Kind::text, "\"var\"", "directory of the development defaults (journal, registry, keys, PKI)"},
    {"gateway", "listen", Kind::text, "\"127.0.0.1:8080\"", "HOST:PORT of the SOAP endpoint (port 0: any free port)"},
    {"gateway", "public-url", Kind::text, nullptr,
     "soap:address in the WSDL at ?wsdl; unset: the address each request came to (Host header)"},
    {"gateway", "workers", Kind::integer, "0", "threads parsing, verifying and answering requests; 0: one per core"},
    {"gateway", "request-timeout", Kind::integer, "10", "seconds for a whole request, TLS handshake included"},
    {"gateway", "max-connections", Kind::integer, "1024", "open connections at most; past it 503"},
    {"gateway", "quiet", Kind::flag, "false", "no log line per message"},
    {"gateway", "log-format", Kind::text, "\"json\"", "the line per message: json (one object a line) or text"},
    {"gateway", "reload-poll", Kind::number, "2", "seconds between checks for changed registry, anchors, CRLs, routes (0: SIGHUP only)"},
    {"files", "journal", Kind::text, nullptr, "the SQLite journal; unset: VAR/journal.db"},
    {"files", "providers", Kind::text, nullptr, "the provider registry (`stagegate providers`); unset: VAR/providers.conf"},
    {"files", "routes", Kind::text, nullptr, "routing rules (`stagegate routes default`); unset: the built-in rules"},
    {"trust", "ca", Kind::texts, nullptr, "trust anchors, files or directories; unset: VAR/pki/ca.pem (development)"},
    {"trust", "crl", Kind::texts, nullptr, "CRLs, files or directories: one for every CA among the anchors"},
    {"trust", "no-revocation-check", Kind::flag, "false", "accept signers without checking CRLs (never in production)"},
    {"tls", "tls-cert", Kind::text, nullptr, "HTTPS: the gateway's certificate chain (PEM); unset: plain HTTP"},
    {"tls", "tls-key", Kind::text, nullptr, "HTTPS: its private key (PEM)"},
    {"tls", "tls-client-ca", Kind::text, nullptr, "CA of the client certificates providers may present"},
    {"tls", "tls-require-client-cert", Kind::flag, "false", "refuse a TLS handshake without a client certificate"},
    {"bus", "bus", Kind::text, "\"tcp://127.0.0.1:5556\"", "ZeroMQ endpoint the consumers connect to"},
    {"bus", "bus-key", Kind::text, nullptr, "the gateway's CURVE secret key; unset: VAR/bus/gateway.key"},
    {"bus", "consumers", Kind::text, nullptr, "who may consume (`stagegate consumers add`); unset: VAR/bus/consumers.conf"},
    {"bus", "bus-plaintext", Kind::flag, "false", "no CURVE (loopback or ipc:// endpoints only)"},
    {"delivery", "max-backlog", Kind::integer, "1000000", "undelivered messages of the slowest consumer before OVERLOADED"},
    {"delivery", "min-free-disk-mb", Kind::integer, "256", "free space the journal's disk keeps, else OVERLOADED"},
    {"delivery", "max-failures", Kind::integer, "5", "refusals or crashes on one message before it is a dead letter"},
    {"delivery", "keep-payload-days", Kind::integer, "30", "then payload and signed document are emptied"},
    {"delivery", "keep-receipt-days", Kind::integer, "90", "then the entry and its idempotency key go"},
    {"journal", "commit-window-ms", Kind::number, "1",
     "how long a commit waits for messages still being verified, to share their fsync (0: never; at most 100)"},
    {"journal", "journal-page-size", Kind::integer, "4096",
     "bytes per page of a new journal file (an existing one keeps its own): a power of two from 512 to 65536"},
    {"ops", "ops-listen", Kind::text, nullptr,
     "HOST:PORT of the operators' listener (/metrics, /healthz, /readyz); unset: none. Keep it off the providers' network"},
    {"ops", "ops-token-file", Kind::text, nullptr, "the bearer token /metrics requires (first line); unset: VAR/ops.token"},
    // The consumers read their own table (`monitor --config`, `kb consume --config`, `notify consume --config`).
    {"monitor", "endpoint", Kind::text, "\"tcp://127.0.0.1:5556\"", "the gateway's bus"},
    {"monitor", "store", Kind::text, nullptr, "SQLite file or postgresql:// connection string; unset: VAR/monitoring.db"},
    {"monitor", "calendar", Kind::text, nullptr, "working calendar; unset: the shipped kz-calendar.conf"},
    {"monitor", "services", Kind::text, nullptr, "services catalogue (legal terms); unset: the shipped services.conf"},
    {"monitor", "time-zone", Kind::text, "\"Asia/Almaty\"", "zone of every local date (tz database name)"},
    {"monitor", "key", Kind::text, nullptr, "the consumer's CURVE secret key; unset: VAR/bus/monitoring.key"},
    {"monitor", "server-key", Kind::text, nullptr, "the gateway's CURVE public key; unset: VAR/bus/gateway.pub"},
    {"knowledge_base", "endpoint", Kind::text, "\"tcp://127.0.0.1:5556\"", "the gateway's bus"},
    {"knowledge_base", "store", Kind::text, nullptr, "SQLite file or postgresql:// connection string; unset: VAR/knowledge_base.db"},
    {"knowledge_base", "listen", Kind::text, "\"127.0.0.1:8090\"", "HOST:PORT of the contact center's lookup endpoint"},
    {"knowledge_base", "rate", Kind::integer, "60", "lookups per minute per operator"},
    {"knowledge_base", "key", Kind::text, nullptr, "the consumer's CURVE secret key; unset: VAR/bus/knowledge_base.key"},
    {"knowledge_base", "server-key", Kind::text, nullptr, "the gateway's CURVE public key; unset: VAR/bus/gateway.pub"},
    {"notification", "endpoint", Kind::text, "\"tcp://127.0.0.1:5556\"", "the gateway's bus"},
    {"notification", "smtp", Kind::text, nullptr, "smtp:// or smtps:// URL of the mail relay"},
    {"notification", "from", Kind::text, nullptr, "the From address of citizens' mail"},
    {"notification", "smtp-user", Kind::text, nullptr, "relay login"},
    {"notification", "smtp-password-file", Kind::text, nullptr, "file holding the relay password (first line)"},
    {"notification", "templates", Kind::text, nullptr, "templates directory; unset: the shipped kk/ru templates"},
    {"notification", "max-attempts", Kind::integer, "10", "mail attempts before a message is undeliverable"},
    {"notification", "key", Kind::text, nullptr, "the consumer's CURVE secret key; unset: VAR/bus/notification.key"},
    {"notification", "server-key", Kind::text, nullptr, "the gateway's CURVE public key; unset: VAR/bus/gateway.pub"},
};

// Which tables each command reads; the others are left to theirs.
bool table_of(std::string_view command, std::string_view table) {
  if (command == "monitor" || command == "knowledge_base" || command == "notification") return table == command;
  return table != "monitor" && table != "knowledge_base" && table != "notification";
}

const Setting* find_setting(std::string_view table, std::string_view key) {
  for (const auto& setting : kSettings)
    if (table == setting.table && key == setting.key) return &setting;
  return nullptr;
}

std::string where(const std::filesystem::path& file, const toml::source_region& region) {
  return file.string() + ":" + std::to_string(region.begin.line) + ":" + std::to_string(region.begin.column) + ": ";
}

std::string value_problem(const Setting& setting, const std::string& value) {
  const std::string_view key = setting.key;
  if (key == "listen") {
    const auto colon = value.rfind(':');
    const auto port = colon == std::string::npos ? std::string() : value.substr(colon + 1);
    if (colon == std::string::npos || colon == 0 || port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }) || std::stoi(port) > 65535)
      return "listen takes HOST:PORT, got \"" + value + "\"";
  }
  if (key == "public-url")
    if (const auto problem = adapters::public_url_problem(value)) return *problem;
  if (key == "bus" && value.find("://") == std::string::npos) return "bus takes a ZeroMQ endpoint (tcp://HOST:PORT or ipc://PATH)";
  return {};
}

// Ranges beyond "not negative", for the settings that have one; serve checks the same.
std::string number_problem(const Setting& setting, double value) {
  const std::string_view key = setting.key;
  if (key == "commit-window-ms" && value > kMostCommitWindowMs) return "at most " + std::to_string(kMostCommitWindowMs) + " ms";
  if (key == "journal-page-size" && !is_journal_page_size(static_cast<long long>(value)))
    return "a power of two from 512 to 65536";
  return {};
}

}  // namespace

bool is_journal_page_size(long long bytes) { return bytes >= 512 && bytes <= 65536 && (bytes & (bytes - 1)) == 0; }

std::string default_config_text() {
  std::ostringstream out;
  out << "# stagegate gateway configuration (`stagegate serve --config FILE`).\n"
         "# Every setting with its default; a command-line option of the same name overrides it.\n"
         "# Relative paths are taken from the directory serve runs in. Check with `stagegate check-config FILE`.\n";
  std::string table;
  for (const auto& setting : kSettings) {
    if (table != setting.table) {
      table = setting.table;
      out << "\n[" << table << "]\n";
    }
    out << "# " << setting.comment << '\n';
    if (setting.value) out << setting.key << " = " << setting.value << '\n';
    else out << "# " << setting.key << " = " << (setting.kind == Kind::texts ? "[\"...\"]" : "\"...\"") << '\n';
  }
  return out.str();
}

std::vector<std::pair<std::string, std::string>> ConfigFile::settings_for(std::string_view command) const {
  std::vector<std::pair<std::string, std::string>> chosen;
  for (std::size_t i = 0; i < settings.size(); ++i)
    if (table_of(command, tables[i])) chosen.push_back(settings[i]);
  return chosen;
}

void apply_config_file(Arguments& args, std::string_view command) {
  const auto file = args.get("config");
  if (!file) return;
  const auto config_file = read_config_file(*file);
  if (!config_file.problems.empty()) {
    std::string text;
    for (const auto& problem : config_file.problems) text += "\n  " + problem;
    throw std::runtime_error("the configuration file has problems:" + text);
  }
  args.fill_from(config_file.settings_for(command));
}

ConfigFile read_config_file(const std::filesystem::path& file) {
  ConfigFile config;
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& error) {
    const auto& region = error.source();
    if (region.begin.line == 0) config.problems.push_back(file.string() + ": " + std::string(error.description()));
    else config.problems.push_back(where(file, region) + std::string(error.description()));
    return config;
  }
  for (const auto& [table_key, table_node] : root) {
    const auto* table = table_node.as_table();
    if (!table) {
      config.problems.push_back(where(file, table_key.source()) + "'" + std::string(table_key.str()) +
                                "' is not in a table ([gateway], [files], [trust], [tls], [bus], [delivery], [ops], [monitor], "
                                "[knowledge_base], [notification])");
      continue;
    }
    for (const auto& [key, node] : *table) {
      const auto* setting = find_setting(table_key.str(), key.str());
      if (!setting) {
        config.problems.push_back(where(file, key.source()) + "unknown key '" + std::string(key.str()) + "' in [" +
                                  std::string(table_key.str()) + "]");
        continue;
      }
      const auto problem = [&](const toml::node& at, const std::string& message) {
        config.problems.push_back(where(file, at.source()) + setting->key + ": " + message);
      };
      // The files it names must be there (certificates, registry) or writable (the journal's directory).
      const auto keep = [&](const toml::node& at, const std::string& value) {
        config.settings.emplace_back(setting->key, value);
        config.tables.emplace_back(setting->table);
        for (const auto& message : path_problems({{setting->key, value}})) config.problems.push_back(where(file, at.source()) + message);
      };
      switch (setting->kind) {
        case Kind::text: {
          const auto value = node.value<std::string>();
          if (!value || !node.is_string()) {
            problem(node, "must be a string");
          } else if (auto wrong = value_problem(*setting, *value); !wrong.empty()) {
            problem(node, wrong);
          } else {
            keep(node, *value);
          }
          break;
        }
        case Kind::integer: {
          const auto value = node.as_integer();
          if (!value) problem(node, "must be an integer");
          else if (value->get() < 0) problem(node, "must not be negative");
          else if (auto wrong = number_problem(*setting, static_cast<double>(value->get())); !wrong.empty()) problem(node, wrong);
          else config.settings.emplace_back(setting->key, std::to_string(value->get())), config.tables.emplace_back(setting->table);
          break;
        }
        case Kind::number: {
          const auto value = node.value<double>();
          if (!value || !(node.is_integer() || node.is_floating_point())) problem(node, "must be a number");
          else if (*value < 0) problem(node, "must not be negative");
          else if (auto wrong = number_problem(*setting, *value); !wrong.empty()) problem(node, wrong);
          else config.settings.emplace_back(setting->key, std::to_string(*value)), config.tables.emplace_back(setting->table);
          break;
        }
        case Kind::flag: {
          const auto* value = node.as_boolean();
          if (!value) problem(node, "must be true or false");
          else if (value->get()) config.settings.emplace_back(setting->key, "true"), config.tables.emplace_back(setting->table);
          break;
        }
        case Kind::texts: {
          const auto* array = node.as_array();
          if (!array) {
            problem(node, "must be an array of strings");
            break;
          }
          for (const auto& element : *array) {
            if (!element.is_string()) problem(element, "must be an array of strings");
            else keep(element, *element.value<std::string>());
          }
          break;
        }
      }
    }
  }
  // In the file's order (toml++ keeps tables sorted by key).
  const auto position = [&](const std::string& problem) {
    std::istringstream in(problem.substr(file.string().size() + 1));
    int line = 0, column = 0;
    char colon = 0;
    in >> line >> colon >> column;
    return std::pair(line, column);
  };
  std::stable_sort(config.problems.begin(), config.problems.end(),
                   [&](const std::string& a, const std::string& b) { return position(a) < position(b); });
  return config;
}

std::vector<std::string> path_problems(const std::vector<std::pair<std::string, std::string>>& settings) {
  std::vector<std::string> problems;
  const auto exists = [&](const std::string& key, const std::string& path, const char* what) {
    std::error_code error;
    if (!std::filesystem::exists(path, error))
      problems.push_back(key + ": no " + what + " " + path);
    else if (::access(path.c_str(), R_OK) != 0)
      problems.push_back(key + ": cannot read " + what + " " + path + " (permissions)");
  };
  for (const auto& [key, value] : settings) {
    if (key == "tls-cert" || key == "tls-key" || key == "tls-client-ca") exists(key, value, "certificate or key file");
    if (key == "ca" || key == "crl") exists(key, value, "file or directory");
    if (key == "providers" || key == "routes") exists(key, value, "file");
    if (key == "journal") {
      const auto directory = std::filesystem::absolute(value).parent_path();
      if (!std::filesystem::is_directory(directory)) problems.push_back("journal: no directory " + directory.string());
      else if (::access(directory.c_str(), W_OK) != 0) problems.push_back("journal: cannot write in " + directory.string());
    }
  }
  return problems;
}

}  // namespace stagegate::cli

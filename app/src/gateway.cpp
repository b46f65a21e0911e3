#include "stagegate/app/gateway.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <mutex>
#include <optional>

#include "batched_lines.h"
#include "file_watch.h"
#include "ops/gateway_metrics.h"
#include "ops/ops_server.h"
#include "stagegate/app/pipeline.h"
#include "stagegate/app/steps.h"
#include "stagegate/bus/dispatcher.h"
#include "stagegate/bus/journal.h"
#include "stagegate/core/clock.h"
#include "stagegate/core/log_field.h"
#include "stagegate/bus/delivery_state.h"
#include "stagegate/signing/provider_registry.h"
#include "stagegate/signing/trust_inventory.h"

namespace stagegate::app {
namespace {

// One line per message for operators: JSON (default) or text. senderId, messageId and
// serviceId identify systems, not people; the document and its fields are never logged.
class LoggedHandler final : public MessageHandler {
 public:
  LoggedHandler(MessageHandler& inner, LogFormat format) : inner_(inner), format_(format) {}
  Result<Receipt> handle(const InboundMessage& message) override {
    const auto started = std::chrono::steady_clock::now();
    auto result = inner_.handle(message);
    log(message, result, started);
    return result;
  }

  void handle_async(InboundMessage message, Completion done) override {
    const auto started = std::chrono::steady_clock::now();
    // What the line needs, kept before the message moves on: the identifiers, not the document.
    InboundMessage identifiers;
    identifiers.message_id = message.message_id;
    identifiers.sender_id = message.sender_id;
    identifiers.service_id = message.service_id;
    inner_.handle_async(std::move(message), [this, identifiers = std::move(identifiers), started, done = std::move(done)](Result<Receipt> result) {
      log(identifiers, result, started);
      done(std::move(result));
    });
  }

 private:
  void log(const InboundMessage& message, const Result<Receipt>& result, std::chrono::steady_clock::time_point started) {
    const auto latency = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    lines_.add(format_ == LogFormat::Json ? json_line(message, result, latency) : text_line(message, result));
  }

  // Fields the client chose are quoted and escaped: none can start a line of its own.
  static std::string text_line(const InboundMessage& message, const Result<Receipt>& result) {
    std::ostringstream line;
    line << now_utc() << ' ';
    if (result)
      line << (result->duplicate ? "duplicate" : "accepted") << " seq=" << result->sequence;
    else
      line << "refused code=" << contract_code(result.refusal().code) << " reason=" << log_field(result.refusal().reason);
    line << " sender=" << log_field(message.sender_id) << " service=" << log_field(message.service_id)
         << " messageId=" << log_field(message.message_id) << '\n';
    return line.str();
  }

  // A client's value, cut like log_field's so a line stays bounded.
  static constexpr std::size_t kMost = 256;
  static std::string bounded(const std::string& value) {
    return value.size() <= kMost ? value : value.substr(0, kMost) + "...(+" + std::to_string(value.size() - kMost) + " bytes)";
  }

  // ASCII-only JSON (every other character escaped, invalid UTF-8 replaced): one line whatever
  // the client sent.
  static std::string json_line(const InboundMessage& message, const Result<Receipt>& result, double latency_ms) {
    // A JSON string of a client's value: ASCII only, invalid UTF-8 replaced.
    const auto quoted = [](const std::string& value) {
      // Printable ASCII without quote or backslash (ids nearly always are) is its own JSON.
      const bool plain = value.size() <= kMost && std::all_of(value.begin(), value.end(), [](char c) {
        return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
      });
      if (plain) return "\"" + value + "\"";
      return nlohmann::json(bounded(value)).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
    };
    const bool internal = !result && result.refusal().code == Code::Internal;
    std::string line = "{\"time\":\"" + now_utc() + "\",\"level\":\"" +
                       (result ? "info" : internal ? "error" : "warn") + "\",\"event\":\"" +
                       (result ? (result->duplicate ? "duplicate" : "accepted") : "refused") + "\",\"code\":\"" +
                       std::string(result ? std::string_view("SCSS001") : contract_code(result.refusal().code)) + "\",";
    if (result) line += "\"sequence\":" + std::to_string(result->sequence) + ",";
    else line += "\"reason\":" + quoted(result.refusal().reason) + ",";
    char latency[32];
    std::snprintf(latency, sizeof latency, "%.3f", latency_ms);
    line += "\"messageId\":" + quoted(message.message_id) + ",\"sender\":" + quoted(message.sender_id) +
            ",\"serviceId\":" + quoted(message.service_id) + ",\"latencyMs\":" + latency + "}\n";
    return line;
  }

  MessageHandler& inner_;
  LogFormat format_;
  // stderr, as std::clog: the gateway's other lines (reloads, errors) go there directly, so
  // they may come up to BatchedLines' delay (2 ms) ahead of message lines logged before them.
  BatchedLines lines_{STDERR_FILENO, BatchedLines::Options{}};
};

// Counts and times every answered request for /metrics.
class MeasuredHandler final : public MessageHandler {
 public:
  MeasuredHandler(MessageHandler& inner, GatewayMetrics& metrics) : inner_(inner), metrics_(metrics) {}
  Result<Receipt> handle(const InboundMessage& message) override {
    const auto started = std::chrono::steady_clock::now();
    auto result = inner_.handle(message);
    record(message.service_id, message.sender_id, result, started);
    return result;
  }

  void handle_async(InboundMessage message, Completion done) override {
    const auto started = std::chrono::steady_clock::now();
    // Copied before the call: the message parameter may be moved into before the lambda is made.
    std::string service_id = message.service_id;
    std::string sender_id = message.sender_id;
    inner_.handle_async(std::move(message), [this, service_id = std::move(service_id), sender_id = std::move(sender_id), started,
                                             done = std::move(done)](Result<Receipt> result) {
      record(service_id, sender_id, result, started);
      done(std::move(result));
    });
  }

 private:
  void record(const std::string& service_id, const std::string& sender_id, const Result<Receipt>& result,
              std::chrono::steady_clock::time_point started) {
    const bool authenticated = result.ok() || result.refusal().code != Code::SenderAuth;
    metrics_.record_request(service_id, sender_id, authenticated,
                            result ? std::string_view("SCSS001") : contract_code(result.refusal().code),
                            std::chrono::steady_clock::now() - started);
  }

  MessageHandler& inner_;
  GatewayMetrics& metrics_;
};

}  // namespace

struct Gateway::Impl {
  GatewayConfig config;
  Reloadable<signing::ProviderRegistry> registry;
  Reloadable<signing::Verifier> verifier;
  Reloadable<routing::RoutingRules> rules;
  std::mutex reload_mutex;
  bus::Journal journal;
  bus::Dispatcher dispatcher;
  Pipeline pipeline;
  LoggedHandler logged{pipeline, config.log_format};
  GatewayMetrics metrics;
  MeasuredHandler measured{config.log_messages ? static_cast<MessageHandler&>(logged) : pipeline, metrics};
  adapters::SoapServer server;
  std::unique_ptr<OpsServer> ops;
  std::mutex dead_letters_mutex;
  std::optional<bus::DeliveryState> dead_letters_reader;

  explicit Impl(GatewayConfig c)
      : config(std::move(c)),
        registry(signing::ProviderRegistry::load(config.providers)),
        verifier(signing::Verifier::create(config.trust)),
        rules(load_rules()),
        journal(bus::Journal::open(config.journal, config.journal_options)),
        dispatcher(journal, config.bus_endpoint, config.delivery),
        server(measured, with_health(config.server)) {
    pipeline.add(announce_to_journal(journal))
        .add(authenticate_sender(registry))
        .add(verify_signature(verifier))
        .add(authorize_signer())
        .add(normalize_document())
        .add(route_message(rules))
        .add(admit(dispatcher))
        .add(append_to_journal(journal, nullptr));
    journal.on_commit([this](std::uint64_t) { dispatcher.notify(); });
    // Each commit's completions go to the server's workers at once: the committer goes back to
    // the disk, and the logging, metrics and responses run in parallel.
    journal.complete_on([this](std::vector<std::function<void()>> completions) { server.run_on_workers(std::move(completions)); });
    pipeline.observe([this](std::string_view step, std::chrono::steady_clock::duration elapsed, const Exchange& exchange) {
      metrics.record_step(step, elapsed);
      if (step == "verify_signature" && exchange.verified && exchange.provider)
        metrics.record_signer(exchange.provider->sender_id, exchange.verified->signer.fingerprint_sha256,
                              exchange.verified->signer.not_after);
    });
  }

  ~Impl() {
    server.stop();
    // A commit the server's shutdown did not wait for completes into nothing (the server
    // and the handlers go first).
    journal.complete_on([](std::vector<std::function<void()>>) {});
    journal.on_commit(nullptr);
  }

  // GET /health: 503 with the reason while the delivery thread cannot write its state (it
  // keeps delivering and retries; positions are kept in memory meanwhile).
  adapters::ServerConfig with_health(adapters::ServerConfig server_config) {
    server_config.health = [this] {
      HealthReport report;
      if (const auto error = dispatcher.stats().storage_error; !error.empty()) {
        report.healthy = false;
        report.problems.push_back("delivery storage: " + error);
      }
      return report;
    };
    return server_config;
  }

  GatewayState state() {
    GatewayState state;
    state.delivery = dispatcher.stats();
    state.journal_entries = journal.count();
    for (const auto& file : {config.journal, std::filesystem::path(config.journal.string() + "-wal")}) {
      std::error_code error;
      const auto size = std::filesystem::file_size(file, error);
      if (!error) state.journal_bytes += size;
    }
    state.trust = signing::trust_inventory(config.trust);
    std::lock_guard lock(dead_letters_mutex);
    try {
      if (!dead_letters_reader) dead_letters_reader.emplace(bus::DeliveryState::open(config.journal));
      state.dead_letter_list = dead_letters_reader->dead_letters();
      state.dead_letters = state.dead_letter_list.size();
      for (const auto& consumer : dead_letters_reader->consumers())
        state.consumers.push_back({consumer.name, consumer.acknowledged,
                                   state.delivery.last_sequence > consumer.acknowledged ? state.delivery.last_sequence - consumer.acknowledged : 0,
                                   consumer.last_seen});
    } catch (const std::exception&) {
      dead_letters_reader.reset();  // reopened at the next scrape
    }
    return state;
  }

  // The dashboard's figures (app/src/ops/dashboard.html reads them).
  std::string summary() {
    const auto current = state();
    nlohmann::ordered_json json;
    std::uint64_t accepted = 0, refused = 0;
    nlohmann::ordered_json refused_by_code = nlohmann::ordered_json::object();
    for (const auto& [code, count] : metrics.requests_by_code()) {
      if (code == "SCSS001") accepted += count;
      else {
        refused += count;
        refused_by_code[code] = count;
      }
    }
    json["accepted"] = accepted;
    json["refused"] = refused;
    json["refusedByCode"] = refused_by_code;
    json["lastSequence"] = current.delivery.last_sequence;
    json["backlog"] = current.delivery.backlog;
    json["connected"] = current.delivery.connected;
    json["storageError"] = current.delivery.storage_error;
    json["consumers"] = nlohmann::ordered_json::array();
    for (const auto& consumer : current.consumers)
      json["consumers"].push_back({{"name", consumer.name}, {"acknowledged", consumer.acknowledged},
                                   {"behind", consumer.behind}, {"lastSeen", consumer.last_seen}});
    json["deadLetters"] = nlohmann::ordered_json::array();
    for (const auto& letter : current.dead_letter_list)
      json["deadLetters"].push_back({{"id", letter.id}, {"consumer", letter.consumer}, {"sequence", letter.sequence},
                                     {"failures", letter.failures}, {"reason", letter.reason}, {"at", letter.at}});
    json["trust"] = nlohmann::ordered_json::array();
    for (const auto& item : current.trust)
      json["trust"].push_back({{"kind", item.kind == signing::TrustItem::Kind::Anchor ? "anchor" : "crl"},
                               {"name", item.name}, {"file", item.file},
                               {"daysLeft", std::chrono::duration<double>(item.expires - current.now).count() / 86400.0}});
    return json.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace) + "\n";
  }

  // What `stagegate dlq replay ID` does, from the dashboard.
  bool replay_dead_letter(std::int64_t id) {
    std::lock_guard lock(dead_letters_mutex);
    if (!dead_letters_reader) dead_letters_reader.emplace(bus::DeliveryState::open(config.journal));
    const bool replayed = dead_letters_reader->replay(id);
    if (replayed) {
      std::clog << now_utc() << " stagegate: dead letter " << id << " replayed from the dashboard" << std::endl;
      dispatcher.notify();
    }
    return replayed;
  }

  // /readyz: ready to take messages and hand them on (journal and delivery state writable,
  // every trust anchor and CRL current, a consumer connected).
  HealthReport readiness() {
    HealthReport report;
    const auto now = GatewayState().now;
    const auto stats = dispatcher.stats();
    if (!stats.storage_error.empty()) report.problems.push_back("delivery storage: " + stats.storage_error);
    if (::access(config.journal.c_str(), W_OK) != 0) report.problems.push_back("journal not writable: " + config.journal.string());
    const auto trust = signing::trust_inventory(config.trust);
    if (std::none_of(trust.begin(), trust.end(), [](const auto& item) { return item.kind == signing::TrustItem::Kind::Anchor; }))
      report.problems.push_back("no trust anchor loaded");
    for (const auto& item : trust)
      if (item.expires <= now)
        report.problems.push_back(std::string(item.kind == signing::TrustItem::Kind::Anchor ? "trust anchor " : "CRL of ") +
                                  item.name + " expired at " + format_utc(item.expires) + " (" + item.file + ")");
    if (stats.connected == 0) report.problems.push_back("no consumer connected to the bus");
    report.healthy = report.problems.empty();
    return report;
  }

  routing::RoutingRules load_rules() const {
    return config.routes.empty() ? routing::RoutingRules::defaults() : routing::RoutingRules::load(config.routes);
  }

  ReloadOutcome reload() {
    std::lock_guard lock(reload_mutex);
    try {
      // All are built before any is switched, so a bad file changes nothing.
      auto next_registry = signing::ProviderRegistry::load(config.providers);
      auto next_verifier = signing::Verifier::create(config.trust);
      auto next_rules = load_rules();
      std::optional<bus::ConsumerRegistry> next_consumers;  // [bus auth]
      if (const auto& security = config.delivery.security) next_consumers = bus::ConsumerRegistry::load(security->consumers_file);
      registry.replace(std::move(next_registry));
      if (next_consumers) dispatcher.replace_consumers(std::move(*next_consumers));
      verifier.replace(std::move(next_verifier));
      rules.replace(std::move(next_rules));
    } catch (const std::exception& error) {
      return {false, std::string("reload refused, the running configuration stays: ") + error.what()};
    }
    return {true, "reloaded " + config.providers.string() + ", " + std::to_string(config.trust.anchors.size()) +
                      " trust anchor path(s), " + std::to_string(config.trust.crls.size()) + " CRL path(s) and " +
                      (config.routes.empty() ? std::string("the built-in routing rules") : config.routes.string()) +
                      (config.delivery.security ? ", bus consumers " + config.delivery.security->consumers_file.string() : std::string())};
  }

  std::vector<std::filesystem::path> watched_paths() const {
    std::vector<std::filesystem::path> paths{config.providers};
    paths.insert(paths.end(), config.trust.anchors.begin(), config.trust.anchors.end());
    paths.insert(paths.end(), config.trust.crls.begin(), config.trust.crls.end());
    if (!config.routes.empty()) paths.push_back(config.routes);
    if (config.delivery.security) paths.push_back(config.delivery.security->consumers_file);  // [bus auth]
    return paths;
  }

  void reload_and_log() {
    const auto outcome = reload();
    std::clog << now_utc() << " stagegate: " << outcome.message << std::endl;
  }

  std::unique_ptr<FileWatch> watch;
};

Gateway::Gateway(GatewayConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Gateway::~Gateway() { stop(); }
void Gateway::start() {
  impl_->server.start();
  if (!impl_->config.ops.listen.empty() && !impl_->ops)
    impl_->ops = std::make_unique<OpsServer>(
        impl_->config.ops, OpsServer::Handlers{[impl = impl_.get()] { return impl->metrics.scrape(impl->state()); },
                                               [impl = impl_.get()] { return impl->readiness(); },
                                               [impl = impl_.get()] { return impl->summary(); },
                                               [impl = impl_.get()](std::int64_t id) { return impl->replay_dead_letter(id); }});
  if (impl_->config.reload_poll.count() > 0 && !impl_->watch)
    impl_->watch = std::make_unique<FileWatch>(impl_->watched_paths(), impl_->config.reload_poll,
                                               [impl = impl_.get()] { impl->reload_and_log(); });
}
void Gateway::stop() {
  impl_->watch.reset();
  impl_->ops.reset();
  impl_->server.stop();
}
ReloadOutcome Gateway::reload() { return impl_->reload(); }
int Gateway::soap_port() const { return impl_->server.port(); }
int Gateway::ops_port() const { return impl_->ops ? impl_->ops->port() : 0; }
std::string Gateway::bus_endpoint() const { return impl_->dispatcher.endpoint(); }
std::uint64_t Gateway::journaled() const { return impl_->journal.count(); }

}  // namespace stagegate::app

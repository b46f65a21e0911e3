#include "stagegate/knowledge_base/lookup_server.h"

#include <httplib.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "stagegate/core/clock.h"
#include "stagegate/core/log_field.h"
#include "stagegate/knowledge_base/rate_limiter.h"
#include "stagegate/knowledge_base/wording.h"

namespace stagegate::knowledge_base {
namespace {

constexpr const char* kJson = "application/json; charset=utf-8";

nlohmann::json wording_json(const Wording& wording) { return {{"kk", wording.kk}, {"ru", wording.ru}}; }

void answer(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(body.dump(), kJson);
}

std::string bearer_token(const httplib::Request& request) {
  const auto header = request.get_header_value("Authorization");
  constexpr std::string_view scheme = "Bearer ";
  if (header.size() <= scheme.size() || header.compare(0, scheme.size(), scheme) != 0) return {};
  return header.substr(scheme.size());
}

bool is_id_number(const std::string& text) {
  return text.size() == 12 && text.find_first_not_of("0123456789") == std::string::npos;
}

monitoring::Date kazakhstan_today() { return monitoring::parse_date(kazakhstan_date(now_utc())); }

}  // namespace

std::string describe_stage_json(const ApplicationStage& application, monitoring::Date today,
                                const monitoring::WorkingCalendar& calendar) {
  monitoring::Overdue overdue;
  bool planned_known = false;
  try {
    if (!application.planned_date.empty()) {
      const auto planned = monitoring::parse_date(application.planned_date);
      const auto measured_at = application.execution_date.empty() ? today : monitoring::local_date_of(application.execution_date);
      overdue = monitoring::overdue_between(planned, measured_at, calendar);
      planned_known = true;
    }
  } catch (const std::exception&) {
    planned_known = false;  // a date that does not parse: overdue unknown, said so
  }
  nlohmann::json body = {
      {"applicationId", application.application_id},
      {"service", {{"code", application.service_code}, {"name", application.service_name}}},
      {"provider", {{"bin", application.provider_bin}, {"name", application.provider_name}}},
      {"stage", {{"code", application.stage}, {"name", application.stage_name}, {"wording", wording_json(stage_wording(application.stage))}}},
      {"stageAt", {{"value", application.stage_at}, {"wording", wording_json(stage_time_wording(application.stage_at))}}},
      {"plannedDate",
       {{"value", application.planned_date.empty() ? nlohmann::json(nullptr) : nlohmann::json(application.planned_date)},
        {"source", application.planned_source},
        {"wording", wording_json(planned_date_wording(application.planned_date))}}},
      {"overdue",
       {{"late", overdue.late()},
        {"workingDays", overdue.working_days},
        {"calendarDays", overdue.calendar_days},
        {"measuredTo", application.execution_date.empty() ? monitoring::format_date(today) : application.execution_date},
        {"wording", wording_json(overdue_wording(overdue, planned_known))}}},
  };
  if (!application.outcome.empty())
    body["outcome"] = {{"value", application.outcome}, {"wording", wording_json(outcome_wording(application.outcome))}};
  return body.dump();
}

struct LookupServer::Impl {
  LookupConfig config;
  const KnowledgeStore& store;
  const RecipientKey& key;
  const OperatorRegistry& operators;
  const monitoring::WorkingCalendar& calendar;
  RateLimiter limiter;
  httplib::Server server;
  std::thread thread;
  int bound_port = 0;

  Impl(LookupConfig c, const KnowledgeStore& s, const RecipientKey& k, const OperatorRegistry& o,
       const monitoring::WorkingCalendar& cal)
      : config(std::move(c)), store(s), key(k), operators(o), calendar(cal), limiter(config.requests_per_minute) {
    if (!config.today) config.today = kazakhstan_today;
    server.Get(R"(/api/v1/applications/([^/]{1,64}))",
               [this](const httplib::Request& request, httplib::Response& response) { lookup(request, response); });
    server.set_error_handler([](const httplib::Request&, httplib::Response& response) {
      if (response.body.empty()) response.set_content(nlohmann::json{{"error", "not found"}}.dump(), kJson);
    });
    // Requests are small GETs from operators' desks: a client that stalls holds one of the
    // server's threads for two seconds at most.
    server.set_payload_max_length(4096);
    server.set_read_timeout(2);
    server.set_keep_alive_timeout(2);
  }

  void lookup(const httplib::Request& request, httplib::Response& response) {
    const auto who = operators.authenticate(bearer_token(request));
    if (!who) {
      response.set_header("WWW-Authenticate", "Bearer realm=\"stagegate-kb\"");
      answer(response, 401, {{"error", "unauthorized"}});
      return log(request, response, "-");
    }
    if (const auto retry_after = limiter.take(*who)) {
      response.set_header("Retry-After", std::to_string(*retry_after));
      answer(response, 429, {{"error", "too many requests"}, {"retryAfterSeconds", *retry_after}});
      return log(request, response, *who);
    }
    const auto id = request.has_param("iin") ? request.get_param_value("iin") : std::string();
    if (!is_id_number(id)) {
      answer(response, 400, {{"error", "iin must be the recipient's 12-digit ИИН or БИН"}});
      return log(request, response, *who);
    }
    const auto application_id = request.matches[1].str();
    // The digest is computed whether or not the id exists, and every row with this id is
    // compared in constant time: an unknown id, a wrong ИИН and a right one cost the same.
    const auto digest = key.digest(id);
    std::optional<ApplicationStage> matched;
    for (auto& candidate : store.applications(application_id))
      if (equal_in_constant_time(digest, candidate.recipient_digest) && !matched) matched = std::move(candidate);
    if (!matched) {
      answer(response, 404, {{"error", "not found"}});
      return log(request, response, *who);
    }
    response.status = 200;
    response.set_content(describe_stage_json(*matched, config.today(), calendar), kJson);
    log(request, response, *who);
  }

  // The path names the application number, never the ИИН (a query parameter, not logged).
  static void log(const httplib::Request& request, const httplib::Response& response, const std::string& who) {
    std::clog << now_utc() << " kb lookup operator=" << log_field(who) << " path=" << log_field(request.path)
              << " status=" << response.status << std::endl;
  }
};

LookupServer::LookupServer(LookupConfig config, const KnowledgeStore& store, const RecipientKey& key,
                           const OperatorRegistry& operators, const monitoring::WorkingCalendar& calendar)
    : impl_(std::make_unique<Impl>(std::move(config), store, key, operators, calendar)) {}

LookupServer::~LookupServer() { stop(); }

void LookupServer::start() {
  auto& server = impl_->server;
  const auto& config = impl_->config;
  impl_->bound_port = config.port == 0 ? server.bind_to_any_port(config.host) : (server.bind_to_port(config.host, config.port) ? config.port : -1);
  if (impl_->bound_port <= 0)
    throw std::runtime_error("kb lookup: cannot listen on " + config.host + ":" + std::to_string(config.port));
  impl_->thread = std::thread([&server] { server.listen_after_bind(); });
  // httplib's stop() does nothing before the listening loop runs: wait for it, so that a stop
  // right after start is never lost (and the thread never left listening).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server.is_running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!server.is_running()) throw std::runtime_error("kb lookup: the HTTP server did not start");
}

void LookupServer::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

int LookupServer::port() const { return impl_->bound_port; }

}  // namespace stagegate::knowledge_base

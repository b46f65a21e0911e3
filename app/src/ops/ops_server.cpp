#include "ops/ops_server.h"
#include "stagegate/core/thread_name.h"

#include "ops/dashboard_page.h"

#include <httplib.h>
#include <openssl/crypto.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

namespace stagegate::app {
namespace {

// Constant time, so the token cannot be guessed byte by byte from response times.
bool token_matches(const std::string& header, const std::string& token) {
  const std::string expected = "Bearer " + token;
  return header.size() == expected.size() && CRYPTO_memcmp(header.data(), expected.data(), expected.size()) == 0;
}

}  // namespace

struct OpsServer::Impl {
  httplib::Server server;
  std::thread thread;
  int port = 0;
};

OpsServer::OpsServer(const OpsConfig& config, Handlers handlers) : impl_(std::make_unique<Impl>()) {
  if (config.token.size() < 16) throw std::runtime_error("the operator token must have at least 16 characters");
  const auto colon = config.listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--ops-listen takes HOST:PORT, not " + config.listen);
  auto host = config.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(config.listen.substr(colon + 1));
  } catch (const std::exception&) {
    throw std::runtime_error("--ops-listen takes HOST:PORT, not " + config.listen);
  }

  auto& server = impl_->server;
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_payload_max_length(4096);
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("{\"status\":\"alive\"}\n", "application/json");
  });
  server.Get("/readyz", [readiness = handlers.readiness](const httplib::Request&, httplib::Response& response) {
    const auto report = readiness();
    nlohmann::json body{{"ready", report.healthy}, {"problems", report.problems}};
    response.status = report.healthy ? 200 : 503;
    response.set_content(body.dump() + "\n", "application/json");
  });
  const auto authorized = [token = config.token](const httplib::Request& request, httplib::Response& response) {
    if (token_matches(request.get_header_value("Authorization"), token)) return true;
    response.status = 401;
    response.set_header("WWW-Authenticate", "Bearer realm=\"stagegate operators\"");
    response.set_content("an operator token is required: Authorization: Bearer <token>\n", "text/plain");
    return false;
  };
  server.Get("/metrics", [metrics = handlers.metrics, authorized](const httplib::Request& request, httplib::Response& response) {
    if (authorized(request, response)) response.set_content(metrics(), "text/plain; version=0.0.4");
  });
  server.Get("/dashboard", [](const httplib::Request&, httplib::Response& response) {
    // Nothing but this page's own inline script and style may run or load.
    response.set_header("Content-Security-Policy",
                        "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_content(std::string(dashboard_page()), "text/html; charset=utf-8");
  });
  server.Get("/api/summary", [summary = handlers.summary, authorized](const httplib::Request& request, httplib::Response& response) {
    if (authorized(request, response)) response.set_content(summary(), "application/json");
  });
  server.Post(R"(/api/dead-letters/(\d{1,18})/replay)", [replay = handlers.replay, authorized](const httplib::Request& request,
                                                                                          httplib::Response& response) {
    if (!authorized(request, response)) return;
    const auto id = std::stoll(request.matches[1].str());
    if (!replay(id)) {
      response.status = 404;
      response.set_content("{\"error\":\"no dead letter " + std::to_string(id) + "\"}\n", "application/json");
      return;
    }
    response.set_content("{\"replayed\":" + std::to_string(id) + "}\n", "application/json");
  });
  impl_->port = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (impl_->port <= 0) throw std::runtime_error("cannot listen for operators on " + config.listen);
  impl_->thread = std::thread([this] {
    name_this_thread("sg-ops");
    impl_->server.listen_after_bind();
  });
}

OpsServer::~OpsServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int OpsServer::port() const { return impl_->port; }

}  // namespace stagegate::app

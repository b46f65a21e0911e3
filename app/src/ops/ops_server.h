#pragma once
// The operators' listener, apart from the providers' SOAP port: GET /healthz (alive, open),
// GET /readyz (ready to take messages, open, JSON with the reasons when not) and GET /metrics
// (Prometheus text), GET /dashboard (the page; open, it holds no data), GET /api/summary and
// POST /api/dead-letters/ID/replay (JSON). Everything but /healthz, /readyz and the page needs
// `Authorization: Bearer <operator token>`.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "stagegate/app/gateway.h"
#include "stagegate/core/health.h"

namespace stagegate::app {

class OpsServer {
 public:
  struct Handlers {
    std::function<std::string()> metrics;
    std::function<HealthReport()> readiness;
    std::function<std::string()> summary;     // the dashboard's figures, JSON
    std::function<bool(std::int64_t)> replay;  // false: no such dead letter
  };
  // Binds `config.listen` (HOST:PORT, port 0 for any) and serves on its own thread.
  // Throws std::runtime_error when it cannot bind or the token is empty.
  OpsServer(const OpsConfig& config, Handlers handlers);
  ~OpsServer();
  OpsServer(const OpsServer&) = delete;
  OpsServer& operator=(const OpsServer&) = delete;
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::app

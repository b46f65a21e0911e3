#pragma once
// Stage lookup for contact-center operators: GET /api/v1/applications/{applicationId}?iin=...
// answers with the current stage only when the id and the recipient's ИИН (or БИН) both
// match; a wrong ИИН gets the same 404 as an unknown id. Bearer token per operator (401
// without a valid one), rate-limited per operator (429 with Retry-After). Log lines name the
// operator and the status, never the ИИН.
#include <functional>
#include <memory>
#include <string>

#include "stagegate/knowledge_base/operators.h"
#include "stagegate/knowledge_base/recipient_key.h"
#include "stagegate/knowledge_base/store.h"
#include "stagegate/monitoring/calendar.h"

namespace stagegate::knowledge_base {

struct LookupConfig {
  std::string host = "127.0.0.1";
  int port = 8090;  // 0: any free port (tests)
  int requests_per_minute = 60;
  std::function<monitoring::Date()> today;  // the date overdue is measured to; Kazakhstan's today by default
};

// The JSON answer for one application (what the endpoint returns with 200).
std::string describe_stage_json(const ApplicationStage& application, monitoring::Date today,
                                 const monitoring::WorkingCalendar& calendar);

class LookupServer {
 public:
  LookupServer(LookupConfig config, const KnowledgeStore& store, const RecipientKey& key,
               const OperatorRegistry& operators, const monitoring::WorkingCalendar& calendar);
  ~LookupServer();
  LookupServer(const LookupServer&) = delete;
  LookupServer& operator=(const LookupServer&) = delete;

  // Binds and serves on a thread of its own; throws std::runtime_error when it cannot bind.
  void start();
  void stop();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::knowledge_base

#pragma once
// The knowledge-base consumer's logic: a delivered message (stagegate.kb/1 or
// stagegate.stage/1) becomes a stored service version or application stage.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "stagegate/bus/subscriber.h"
#include "stagegate/knowledge_base/recipient_key.h"
#include "stagegate/knowledge_base/store.h"
#include "stagegate/monitoring/calendar.h"
#include "stagegate/monitoring/planning.h"

namespace stagegate::knowledge_base {

class KnowledgeBase {
 public:
  using Clock = std::function<std::string()>;  // UTC xsd:dateTime, core now_utc by default
  KnowledgeBase(KnowledgeStore& store, const RecipientKey& key, const monitoring::WorkingCalendar& calendar,
                const monitoring::ServiceCatalogue& services, Clock clock = {});

  // MALFORMED for a payload of no known schema or missing fields (the consumer refuses it
  // and it ends in the dead letters); INTERNAL when the store fails (it comes again).
  Result<Stored> handle(const std::string& payload, std::uint64_t sequence);

 private:
  Result<Stored> handle_stage(const std::string& payload, std::uint64_t sequence);

  KnowledgeStore& store_;
  const RecipientKey& key_;
  const monitoring::WorkingCalendar& calendar_;
  const monitoring::ServiceCatalogue& services_;
  Clock clock_;
};

enum class Consumed { Nothing, Stored, Duplicate, Refused };

// Receives at most one message within `timeout`, hands it to the knowledge base, and
// acknowledges it, or refuses it (with a log line naming the sequence and the code, never the
// content) so that the gateway delivers it again or moves it to the dead letters.
Consumed consume_one(bus::Subscriber& subscriber, KnowledgeBase& knowledge_base, std::chrono::milliseconds timeout);

}  // namespace stagegate::knowledge_base

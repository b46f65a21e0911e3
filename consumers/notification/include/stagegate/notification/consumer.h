#pragma once
// The notification consumer's logic: a delivered stage message becomes one rendered,
// bilingual notification in the outbox, recorded with the journal position.
#include <cstdint>
#include <string>

#include "stagegate/notification/citizen_key.h"
#include "stagegate/notification/outbox.h"
#include "stagegate/notification/templates.h"

namespace stagegate::notification {

class NotificationConsumer {
 public:
  // `mail_domain` names the right-hand side of Message-IDs (the From address's domain).
  NotificationConsumer(Outbox& outbox, const CitizenKeys& keys, const TemplateSet& templates, std::string mail_domain);

  // MALFORMED for a payload that is not a stage message (refused: it goes to the dead
  // letters); INTERNAL when the store fails (refused: it comes again).
  Result<Recorded> handle(const std::string& payload, std::uint64_t sequence);

 private:
  Outbox& outbox_;
  const CitizenKeys& keys_;
  const TemplateSet& templates_;
  std::string mail_domain_;
};

// The same for every attempt and every resend of one (application, stage, citizen), so a
// copy that did get through twice is recognisable as one message by mail systems.
std::string message_id_for(const std::string& application_id, int stage, const std::string& citizen,
                           const std::string& mail_domain);

}  // namespace stagegate::notification

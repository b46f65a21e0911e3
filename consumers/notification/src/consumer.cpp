#include "stagegate/notification/consumer.h"

namespace stagegate::notification {

NotificationConsumer::NotificationConsumer(Outbox& outbox, const CitizenKeys& keys, const TemplateSet& templates,
                                           std::string mail_domain)
    : outbox_(outbox), keys_(keys), templates_(templates), mail_domain_(std::move(mail_domain)) {}

std::string message_id_for(const std::string& application_id, int stage, const std::string& citizen,
                           const std::string& mail_domain) {
  return "<stage-" + std::to_string(stage) + "." +
         sha256_hex(application_id + "|" + std::to_string(stage) + "|" + citizen).substr(0, 32) + "@" + mail_domain + ">";
}

Result<Recorded> NotificationConsumer::handle(const std::string& payload, std::uint64_t sequence) {
  const auto change = parse_stage_change(payload);
  if (!change) return change.refusal();
  const auto rendered = templates_.render(change.value());
  OutboxEntry entry;
  entry.application_id = change->application_id;
  entry.stage = change->stage;
  entry.stage_name = change->stage_name;
  entry.citizen = keys_.digest(change->recipient_number);
  entry.message_id = message_id_for(entry.application_id, entry.stage, entry.citizen, mail_domain_);
  entry.subject = rendered.subject;
  entry.body = rendered.body;
  return outbox_.record(entry, sequence);
}

}  // namespace stagegate::notification

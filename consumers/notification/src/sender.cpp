#include "stagegate/notification/sender.h"

#include <algorithm>

namespace stagegate::notification {

std::chrono::milliseconds RetryPolicy::delay_after(int attempts) const {
  auto delay = first_delay;
  for (int i = 1; i < attempts && delay < max_delay; ++i) delay *= 2;
  return std::min(delay, max_delay);
}

Sender::Sender(Outbox& outbox, const SmtpMailer& mailer, RetryPolicy policy, Log log)
    : outbox_(outbox), mailer_(mailer), policy_(policy), log_(std::move(log)) {}

bool Sender::deliver_next() {
  const auto row = outbox_.next_due(now_ms());
  if (!row) return false;
  // Log lines name the outbox row and the journal sequence only: no address, no IIN, no name.
  const auto what = "outbox=" + std::to_string(row->id) + " seq=" + std::to_string(row->sequence) +
                    " stage=" + std::to_string(row->entry.stage);
  const auto contact = outbox_.contact_of(row->entry.citizen);
  if (!contact) {
    if (outbox_.mark_undeliverable(row->id, "no contact for the recipient (stagegate notify contacts import)"))
      log_(what + " undeliverable reason=\"no contact\"");
    return true;
  }
  if (auto marked = outbox_.mark_sending(row->id); !marked) {
    log_(what + " cannot mark sending: " + marked.refusal().reason);
    return false;
  }
  const auto outcome = mailer_.send(Mail{*contact, row->entry.message_id, row->entry.subject, row->entry.body});
  const int attempts = row->attempts + 1;
  Status recorded = proceed();
  switch (outcome.delivery) {
    case Delivery::Sent:
      recorded = outbox_.mark_sent(row->id);
      log_(what + " sent attempt=" + std::to_string(attempts));
      break;
    case Delivery::Permanent:
      recorded = outbox_.mark_undeliverable(row->id, "SMTP refused: " + outcome.detail);
      log_(what + " undeliverable reason=\"SMTP refused\" detail=\"" + outcome.detail + "\"");
      break;
    case Delivery::Uncertain:
      recorded = outbox_.mark_undeliverable(
          row->id, "uncertain: the message went out but the server's answer did not come (" + outcome.detail +
                       "); look for Message-ID " + row->entry.message_id + " in its log before `stagegate notify resend " +
                       std::to_string(row->id) + "`");
      log_(what + " undeliverable reason=\"uncertain\" detail=\"" + outcome.detail + "\"");
      break;
    case Delivery::Transient:
      if (attempts >= policy_.max_attempts) {
        recorded = outbox_.mark_undeliverable(
            row->id, "retries exhausted after " + std::to_string(attempts) + " attempts: " + outcome.detail);
        log_(what + " undeliverable reason=\"retries exhausted\" detail=\"" + outcome.detail + "\"");
      } else {
        const auto delay = policy_.delay_after(attempts);
        recorded = outbox_.mark_retry(row->id, now_ms() + delay.count(), outcome.detail);
        log_(what + " retry attempt=" + std::to_string(attempts) + " in_ms=" + std::to_string(delay.count()) +
             " detail=\"" + outcome.detail + "\"");
      }
      break;
  }
  if (!recorded) log_(what + " cannot record the outcome: " + recorded.refusal().reason);
  return true;
}

std::chrono::milliseconds Sender::idle_wait(std::chrono::milliseconds longest) const {
  const auto next = outbox_.next_wakeup();
  if (!next) return longest;
  return std::clamp(std::chrono::milliseconds(*next - now_ms()), std::chrono::milliseconds(0), longest);
}

}  // namespace stagegate::notification

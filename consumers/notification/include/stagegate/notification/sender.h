#pragma once
// Delivers outbox rows over SMTP, one at a time, oldest due first: at least once for every
// row except one interrupted inside its SMTP transaction (outbox.h), with exponential backoff
// between attempts, and undeliverable (with the reason) when there is no contact, the server
// refuses for good, or the attempts run out.
#include <chrono>
#include <functional>
#include <string>

#include "stagegate/notification/mailer.h"
#include "stagegate/notification/outbox.h"

namespace stagegate::notification {

struct RetryPolicy {
  int max_attempts = 10;
  std::chrono::milliseconds first_delay{30000};  // doubled after every failed attempt
  std::chrono::milliseconds max_delay{3600000};

  std::chrono::milliseconds delay_after(int attempts) const;
};

class Sender {
 public:
  using Log = std::function<void(const std::string&)>;
  Sender(Outbox& outbox, const SmtpMailer& mailer, RetryPolicy policy, Log log);

  // Handles the next due row, if any: true when it did (sent, rescheduled or given up).
  bool deliver_next();
  // How long until a pending row becomes due (capped at `longest`).
  std::chrono::milliseconds idle_wait(std::chrono::milliseconds longest) const;

 private:
  Outbox& outbox_;
  const SmtpMailer& mailer_;
  RetryPolicy policy_;
  Log log_;
};

}  // namespace stagegate::notification

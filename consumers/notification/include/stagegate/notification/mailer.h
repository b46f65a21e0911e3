#pragma once
// Sending one e-mail over SMTP with libcurl (smtp:// or smtps://; STARTTLS on request), and
// saying what the outcome means for the outbox.
#include <string>

namespace stagegate::notification {

struct SmtpConfig {
  std::string url;   // e.g. smtp://127.0.0.1:2525 or smtps://mail.example.kz
  std::string from;  // envelope and From: address
  std::string user, password;  // optional SMTP AUTH
  bool require_starttls = false;
  long timeout_ms = 30000;
};

struct Mail {
  std::string to;
  std::string message_id;  // "<...@...>", the same for every attempt of one outbox row
  std::string subject;     // UTF-8
  std::string body;        // UTF-8 plain text
};

enum class Delivery {
  Sent,       // the server answered 250 to the end of data
  Transient,  // nothing was accepted and a later attempt may succeed (no connection, 4xx)
  Permanent,  // the server refused for good (5xx)
  Uncertain,  // the whole message went out but no final answer came: it may have been accepted
};

struct SendOutcome {
  Delivery delivery;
  std::string detail;  // curl's error and the SMTP code, never the recipient's address
};

// The RFC 5322 text: UTF-8 subject as encoded-words, body in base64, both languages in one part.
std::string compose_mail(const Mail& mail, const std::string& from, const std::string& date);

class SmtpMailer {
 public:
  explicit SmtpMailer(SmtpConfig config);
  SendOutcome send(const Mail& mail) const;
  const SmtpConfig& config() const { return config_; }

 private:
  SmtpConfig config_;
};

}  // namespace stagegate::notification

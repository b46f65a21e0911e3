#include "stagegate/notification/mailer.h"

#include <curl/curl.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>

namespace stagegate::notification {
namespace {

struct CurlCleanup {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistCleanup {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::string base64(std::string_view data) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                       static_cast<unsigned char>(data[i + 2]);
    out += {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63], alphabet[(v >> 6) & 63], alphabet[v & 63]};
  }
  if (i + 1 == data.size()) {
    const unsigned v = static_cast<unsigned char>(data[i]) << 16;
    out += {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == data.size()) {
    const unsigned v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8);
    out += {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63], alphabet[(v >> 6) & 63], '='};
  }
  return out;
}

// RFC 2047 encoded-words of at most 39 bytes of UTF-8 each (never splitting a character),
// folded onto continuation lines so no header line exceeds 78 characters.
std::string encoded_words(const std::string& text) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = std::min(at + 39, text.size());
    while (end < text.size() && end > at && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(std::string_view(text).substr(at, end - at)) + "?=";
    at = end;
  }
  return out;
}

// Header values come from templates and configuration: no line breaks may slip in.
std::string one_line(std::string value) {
  for (auto& c : value)
    if (c == '\r' || c == '\n') c = ' ';
  return value;
}

struct Upload {
  std::string text;
  std::size_t sent = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& upload = *static_cast<Upload*>(user);
  const auto n = std::min(size * count, upload.text.size() - upload.sent);
  std::memcpy(buffer, upload.text.data() + upload.sent, n);
  upload.sent += n;
  return n;
}

std::string rfc5322_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[utc.tm_wday], utc.tm_mday, months[utc.tm_mon],
                utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return text;
}

}  // namespace

std::string compose_mail(const Mail& mail, const std::string& from, const std::string& date) {
  std::string text;
  text += "Date: " + date + "\r\n";
  text += "From: " + one_line(from) + "\r\n";
  text += "To: " + one_line(mail.to) + "\r\n";
  text += "Message-ID: " + one_line(mail.message_id) + "\r\n";
  text += "Subject: " + encoded_words(one_line(mail.subject)) + "\r\n";
  text += "MIME-Version: 1.0\r\n";
  text += "Content-Type: text/plain; charset=UTF-8\r\n";
  text += "Content-Language: kk, ru\r\n";
  text += "Content-Transfer-Encoding: base64\r\n";
  text += "Auto-Submitted: auto-generated\r\n\r\n";
  const auto encoded = base64(mail.body);
  for (std::size_t at = 0; at < encoded.size(); at += 76) text += encoded.substr(at, 76) + "\r\n";
  return text;
}

SmtpMailer::SmtpMailer(SmtpConfig config) : config_(std::move(config)) {
  static std::once_flag initialized;
  std::call_once(initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

SendOutcome SmtpMailer::send(const Mail& mail) const {
  std::unique_ptr<CURL, CurlCleanup> curl(curl_easy_init());
  if (!curl) return {Delivery::Transient, "curl_easy_init failed"};
  Upload upload{compose_mail(mail, config_.from, rfc5322_now())};
  std::unique_ptr<curl_slist, SlistCleanup> recipients(curl_slist_append(nullptr, ("<" + mail.to + ">").c_str()));
  char error[CURL_ERROR_SIZE] = "";
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(handle, CURLOPT_MAIL_FROM, ("<" + config_.from + ">").c_str());
  curl_easy_setopt(handle, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(handle, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(handle, CURLOPT_READDATA, &upload);
  curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(upload.text.size()));
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, config_.timeout_ms);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, std::min(config_.timeout_ms, 10000L));
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  if (config_.require_starttls) curl_easy_setopt(handle, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!config_.user.empty()) {
    curl_easy_setopt(handle, CURLOPT_USERNAME, config_.user.c_str());
    curl_easy_setopt(handle, CURLOPT_PASSWORD, config_.password.c_str());
  }
  const CURLcode result = curl_easy_perform(handle);
  long code = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code);
  if (result == CURLE_OK) return {Delivery::Sent, "250"};
  const std::string detail = std::string(error[0] ? error : curl_easy_strerror(result)) + " (SMTP " + std::to_string(code) + ")";
  if (code >= 500 && code < 600) return {Delivery::Permanent, detail};
  if (code >= 400 && code < 500) return {Delivery::Transient, detail};
  // No SMTP refusal to go by: if every byte of the message went out, only the final answer
  // is missing and the server may have taken it.
  if (upload.sent == upload.text.size() && upload.sent > 0) return {Delivery::Uncertain, detail};
  return {Delivery::Transient, detail};
}

}  // namespace stagegate::notification

#include "stagegate/notification/templates.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace stagegate::notification {
namespace {

const char* const kLanguages[] = {"kk", "ru"};
// A notification is a few lines; anything near this is a wrong file.
constexpr std::uintmax_t kLargestTemplate = 64 * 1024;

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

bool known_placeholder(const std::string& name) {
  const auto& known = template_placeholders();
  return std::find(known.begin(), known.end(), name) != known.end();
}

// Placeholders in `text` are known and closed; `line` counts from the template's first line.
Status check_placeholders(const std::string& text, int first_line) {
  int line = first_line;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
    if (text.compare(i, 2, "{{") != 0) continue;
    const auto close = text.find("}}", i + 2);
    const auto newline = text.find('\n', i);
    if (close == std::string::npos || (newline != std::string::npos && newline < close))
      return refuse(Code::Schema, "line " + std::to_string(line) + ": unclosed {{");
    const auto name = text.substr(i + 2, close - i - 2);
    if (!known_placeholder(name))
      return refuse(Code::Schema, "line " + std::to_string(line) + ": unknown placeholder {{" + name.substr(0, 40) + "}}");
    i = close + 1;
  }
  return proceed();
}

std::string substitute(const std::string& text, const std::map<std::string, std::string>& values) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const auto open = text.find("{{", at);
    if (open == std::string::npos) break;
    const auto close = text.find("}}", open + 2);
    out.append(text, at, open - at);
    const auto found = values.find(text.substr(open + 2, close - open - 2));
    if (found != values.end()) out += found->second;
    at = close + 2;
  }
  out.append(text, at, std::string::npos);
  return out;
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// "2026-11-25" -> "25.11.2026"; anything else as it is.
std::string day_month_year(const std::string& date) {
  if (date.size() < 10 || date[4] != '-' || date[7] != '-') return date.empty() ? "—" : date;
  return date.substr(8, 2) + "." + date.substr(5, 2) + "." + date.substr(0, 4);
}

std::string outcome_word(const std::string& outcome, const std::string& language) {
  if (outcome == "ISSUED") return language == "kk" ? "нәтиже берілді" : "результат выдан";
  if (outcome == "REFUSED") return language == "kk" ? "қызмет көрсетуден бас тартылды" : "в оказании услуги отказано";
  return outcome;
}

std::map<std::string, std::string> values_of(const StageChange& change, const std::string& language) {
  std::string full_name = change.last_name;
  for (const auto* part : {&change.first_name, &change.middle_name})
    if (!part->empty()) full_name += (full_name.empty() ? "" : " ") + *part;
  return {
      {"applicationId", change.application_id},
      {"serviceCode", change.service_code},
      {"serviceName", change.service_name},
      {"providerName", change.provider_name},
      {"lastName", change.last_name},
      {"firstName", change.first_name},
      {"middleName", change.middle_name},
      {"fullName", full_name},
      {"receptionPlace", change.reception_place},
      {"plannedDate", day_month_year(change.planned_date)},
      {"stageCode", std::to_string(change.stage)},
      {"stageDate", day_month_year(change.stage_at.substr(0, 10))},
      {"stageTime", change.stage_at.size() >= 16 ? change.stage_at.substr(11, 5) : std::string()},
      {"outcome", outcome_word(change.outcome, language)},
  };
}

}  // namespace

const std::vector<std::string>& template_placeholders() {
  static const std::vector<std::string> names = {"applicationId", "serviceCode", "serviceName", "providerName",
                                                 "lastName", "firstName", "middleName", "fullName", "receptionPlace",
                                                 "plannedDate", "stageCode", "stageDate", "stageTime", "outcome"};
  return names;
}

const std::vector<std::string>& template_names() {
  static const std::vector<std::string> names = {"received", "sent_for_execution", "in_progress", "executed",
                                                 "awaiting_issuance", "closed", "closed-issued", "closed-refused"};
  return names;
}

Result<Template> parse_template(const std::string& text) {
  const auto first_end = text.find('\n');
  const std::string first = text.substr(0, first_end);
  if (first.rfind("Subject:", 0) != 0) return refuse(Code::Schema, "line 1: the first line must be \"Subject: ...\"");
  Template parsed;
  parsed.subject = first.substr(8);
  while (!parsed.subject.empty() && (parsed.subject.front() == ' ')) parsed.subject.erase(0, 1);
  while (!parsed.subject.empty() && (parsed.subject.back() == '\r' || parsed.subject.back() == ' ')) parsed.subject.pop_back();
  if (parsed.subject.empty()) return refuse(Code::Schema, "line 1: empty subject");
  if (first_end == std::string::npos) return refuse(Code::Schema, "no body after the subject line");
  std::size_t body_start = first_end + 1;
  if (text.compare(body_start, 1, "\n") == 0) body_start += 1;
  else if (text.compare(body_start, 2, "\r\n") == 0) body_start += 2;
  else return refuse(Code::Schema, "line 2: an empty line must follow the subject");
  parsed.body = text.substr(body_start);
  if (parsed.body.find_first_not_of(" \r\n\t") == std::string::npos) return refuse(Code::Schema, "empty body");
  if (auto checked = check_placeholders(parsed.subject, 1); !checked) return checked.refusal();
  if (auto checked = check_placeholders(parsed.body, 3); !checked) return checked.refusal();
  return parsed;
}

TemplateSet::TemplateSet(const std::filesystem::path& builtin_dir, std::filesystem::path operator_dir)
    : operator_dir_(std::move(operator_dir)) {
  for (const auto& name : template_names())
    for (const auto* language : kLanguages) {
      const auto file = builtin_dir / (name + "." + language + ".txt");
      if (!std::filesystem::exists(file)) continue;
      auto parsed = parse_template(read_file(file));
      if (!parsed) throw std::runtime_error("built-in template " + file.string() + ": " + parsed.refusal().reason);
      builtin_[name + "." + language] = parsed.value();
    }
  for (const auto& name : template_names())
    for (const auto* language : kLanguages)
      if (name.find('-') == std::string::npos && !builtin_.count(name + "." + language))
        throw std::runtime_error("built-in templates in " + builtin_dir.string() + ": " + name + "." + language + ".txt missing");
  current_ = builtin_;
}

std::vector<std::string> TemplateSet::refresh() {
  std::vector<std::string> report;
  if (operator_dir_.empty()) return report;
  for (const auto& name : template_names())
    for (const auto* language : kLanguages) {
      const auto key = name + "." + language;
      const auto file_name = key + ".txt";
      const auto file = operator_dir_ / file_name;
      std::error_code error;
      const auto modified = std::filesystem::last_write_time(file, error);
      const auto size = error ? 0 : std::filesystem::file_size(file, error);
      if (error) {  // gone (or unreadable): back to the built-in wording
        if (seen_.erase(key) > 0) {
          if (const auto builtin = builtin_.find(key); builtin != builtin_.end()) current_[key] = builtin->second;
          else current_.erase(key);
          report.push_back(file_name + ": removed, built-in wording applies");
        }
        continue;
      }
      const auto previous = seen_.find(key);
      if (previous != seen_.end() && previous->second.modified == modified && previous->second.size == size) continue;
      seen_[key] = Seen{modified, size};
      if (size > kLargestTemplate) {
        report.push_back(file_name + ": refused, previous wording kept: larger than " + std::to_string(kLargestTemplate / 1024) + " KiB");
        continue;
      }
      auto parsed = parse_template(read_file(file));
      if (!parsed) {
        report.push_back(file_name + ": refused, previous wording kept: " + parsed.refusal().reason);
        continue;
      }
      current_[key] = parsed.value();
      if (previous != seen_.end()) report.push_back(file_name + ": reloaded");
    }
  return report;
}

const Template& TemplateSet::pick(const StageChange& change, const std::string& language) const {
  const auto stage = lowercase(change.stage_name);
  if (!change.outcome.empty())
    if (const auto found = current_.find(stage + "-" + lowercase(change.outcome) + "." + language); found != current_.end())
      return found->second;
  if (const auto found = current_.find(stage + "." + language); found != current_.end()) return found->second;
  // A stage name outside the six never reaches here (parse_stage_change); stay total anyway.
  return current_.at("received." + language);
}

RenderedMessage TemplateSet::render(const StageChange& change) const {
  const auto& kk = pick(change, "kk");
  const auto& ru = pick(change, "ru");
  const auto kk_values = values_of(change, "kk");
  const auto ru_values = values_of(change, "ru");
  RenderedMessage message;
  message.subject = substitute(kk.subject, kk_values) + " / " + substitute(ru.subject, ru_values);
  message.body = substitute(kk.body, kk_values);
  while (!message.body.empty() && message.body.back() == '\n') message.body.pop_back();
  message.body += "\n\n----------\n\n" + substitute(ru.body, ru_values);
  return message;
}

bool install_templates(const std::filesystem::path& builtin_dir, const std::filesystem::path& operator_dir) {
  if (std::filesystem::exists(operator_dir)) return false;
  std::filesystem::create_directories(operator_dir);
  for (const auto& entry : std::filesystem::directory_iterator(builtin_dir))
    if (entry.path().extension() == ".txt") std::filesystem::copy_file(entry.path(), operator_dir / entry.path().filename());
  return true;
}

}  // namespace stagegate::notification

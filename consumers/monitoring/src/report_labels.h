#pragma once
// The report's headings in Russian and Kazakh.
#include <string_view>

#include "stagegate/monitoring/report.h"

namespace stagegate::monitoring {

struct ReportLabels {
  std::string_view lang;
  std::string_view title;
  std::string_view deadline;
  std::string_view as_of;
  std::string_view applications;
  std::string_view violations;
  std::string_view including_technical;
  std::string_view by_top_body;
  std::string_view by_body;
  std::string_view by_service;
  std::string_view by_body_service;
  std::string_view bin;
  std::string_view code;
  std::string_view name;
  std::string_view rolls_up_to;
  std::string_view executed_late;
  std::string_view open_overdue;
  std::string_view technical;
  std::string_view total_working_days;
  std::string_view total_calendar_days;
  std::string_view longest_working_days;
  std::string_view technical_list;
  std::string_view application;
  std::string_view body;
  std::string_view service;
  std::string_view overdue_working_days;
  std::string_view reason;
  std::string_view none;
  std::string_view late_entries;
  std::string_view data_findings;
  std::string_view declared_dates;
  std::string_view unknown_planned;
  std::string_view provider;
  std::string_view detail;
  std::string_view corrections;
  std::string_view issued;
};

const ReportLabels& labels_for(ReportLanguage language);

}  // namespace stagegate::monitoring

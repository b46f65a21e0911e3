#include "store_rows.h"

#include <chrono>
#include <cstdio>

#include "stagegate/monitoring/local_time.h"

namespace stagegate::monitoring {

const std::vector<std::vector<std::string>>& migrations() {
  static const std::vector<std::vector<std::string>> steps{
      // 1 -> 2 (issue 12): the planned date is monitoring's own, the provider's is kept as
      // declared; receive times and entry delays of stages; data findings. Rows recorded with a
      // provider's date get the computed one, the provider's kept as declared.
      {
          "ALTER TABLE applications ADD COLUMN planned_unknown_reason TEXT NOT NULL DEFAULT ''",
          "ALTER TABLE applications ADD COLUMN declared_planned TEXT NOT NULL DEFAULT ''",
          "ALTER TABLE applications ADD COLUMN declared_latest TEXT NOT NULL DEFAULT ''",
          "ALTER TABLE applications ADD COLUMN planned_moved_later INTEGER NOT NULL DEFAULT 0",
          "UPDATE applications SET declared_planned = planned_date, declared_latest = planned_date,"
          " planned_date = computed_planned,"
          " planned_source = CASE WHEN computed_planned != '' THEN 'computed' ELSE 'unknown' END,"
          " planned_unknown_reason = CASE WHEN computed_planned != '' THEN ''"
          "   ELSE 'not computed when recorded (service or year not covered then)' END,"
          " planned_moved_later = CASE WHEN computed_planned != '' AND planned_date > computed_planned THEN 1 ELSE 0 END"
          " WHERE planned_source = 'provider'",
          "UPDATE applications SET planned_unknown_reason = 'not computed when recorded (service or year not covered then)'"
          " WHERE planned_source = 'unknown' AND planned_unknown_reason = ''",
          "ALTER TABLE stages ADD COLUMN received_at TEXT NOT NULL DEFAULT ''",
          "ALTER TABLE stages ADD COLUMN entry_delay INTEGER NOT NULL DEFAULT -1",
          "CREATE TABLE findings (provider_bin TEXT NOT NULL, application_id TEXT NOT NULL, kind TEXT NOT NULL,"
          " stage INTEGER NOT NULL, at TEXT NOT NULL, received_at TEXT NOT NULL, sequence BIGINT NOT NULL,"
          " detail TEXT NOT NULL)",
          "CREATE INDEX findings_by_application ON findings(provider_bin, application_id)",
          "INSERT INTO findings(provider_bin, application_id, kind, stage, at, received_at, sequence, detail)"
          " SELECT provider_bin, application_id, 'stage after CLOSED', code, at, '', sequence, '' FROM stages"
          " WHERE flag = 'after CLOSED'",
      },
  };
  static_assert(kMonitoringSchemaVersion == 2, "add the migration to the new version above");
  return steps;
}

std::string utc_key(const std::string& date_time) {
  const auto instant = instant_of(date_time);
  if (!instant) return date_time;
  const auto days = std::chrono::floor<std::chrono::days>(*instant);
  const std::chrono::year_month_day date(days);
  const std::chrono::hh_mm_ss clock(*instant - days);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<long>(clock.hours().count()), static_cast<long>(clock.minutes().count()),
                static_cast<long>(clock.seconds().count()));
  return text;
}

std::pair<std::string, std::string> widened_by_a_day(const std::string& since, const std::string& until) {
  try {
    const auto day = std::chrono::days(1);
    return {format_date(Date(std::chrono::sys_days(parse_date(since)) - day)),
            format_date(Date(std::chrono::sys_days(parse_date(until)) + day))};
  } catch (const std::invalid_argument&) {
    return {since, until};  // compared as given
  }
}

Application application_from_row(const RowText& text) {
  Application application;
  application.provider_bin = text(0);
  application.application_id = text(1);
  application.service_code = text(2);
  application.service_name = text(3);
  application.provider_name = text(4);
  application.reception_date = text(5);
  application.planned.date = text(6);
  application.planned.source = text(7);
  application.planned.computed = text(8);
  application.planned.disagrees = text(9) != "0";
  application.execution_date = text(10);
  application.outcome = text(11);
  application.delay_kind = text(12);
  application.delay_reason = text(13);
  application.latest_stage = std::stoi(text(14));
  application.planned.unknown_reason = text(15);
  application.planned.declared = text(16);
  application.planned.declared_latest = text(17);
  application.planned.moved_later = text(18) != "0";
  return application;
}

StageEntry stage_from_row(const RowText& text) {
  StageEntry stage;
  stage.code = std::stoi(text(0));
  stage.name = text(1);
  stage.at = text(2);
  stage.sequence = std::stoull(text(3));
  stage.flag = text(4);
  stage.received_at = text(5);
  stage.entry_delay_working_days = std::stoi(text(6));
  stage.late_entry = stage.entry_delay_working_days > kLateEntryAfterWorkingDays;
  return stage;
}

DataFinding finding_from_row(const RowText& text) {
  return DataFinding{text(0), std::stoi(text(1)), text(2), text(3), std::stoull(text(4)), text(5)};
}

KnownApplication known_from_row(const RowText& text) {
  KnownApplication known;
  known.closed_at = text(0);
  known.reception_date = text(1);
  known.planned.date = text(2);
  known.planned.source = text(3);
  known.planned.unknown_reason = text(4);
  known.planned.computed = text(5);
  known.planned.declared = text(6);
  known.planned.declared_latest = text(7);
  known.planned.disagrees = text(8) != "0";
  known.planned.moved_later = text(9) != "0";
  known.service_code = text(10);
  return known;
}

PlannedDate merge_planned(const std::optional<KnownApplication>& known, const PlannedDate& incoming,
                          const StageRecord& record) {
  if (!known) return incoming;
  PlannedDate merged = known->planned;
  if (merged.date.empty() && !incoming.date.empty() && known->service_code == record.service_code &&
      utc_key(known->reception_date) == utc_key(record.reception_date)) {
    merged.date = merged.computed = incoming.date;
    merged.source = incoming.source;
    merged.unknown_reason.clear();
    // Declared dates seen while it was unknown are compared now.
    for (const auto* declared : {&merged.declared, &merged.declared_latest})
      if (!declared->empty()) {
        merged.disagrees = merged.disagrees || *declared != merged.computed;
        merged.moved_later = merged.moved_later || *declared > merged.computed;
      }
  }
  const auto& declared = incoming.declared_latest;
  if (declared.empty()) return merged;
  if (merged.declared.empty()) merged.declared = declared;
  const bool later_than_before = !known->planned.declared_latest.empty() && declared > known->planned.declared_latest;
  const bool later_than_computed = !merged.computed.empty() && declared > merged.computed;
  merged.moved_later = merged.moved_later || later_than_before || later_than_computed;
  merged.disagrees = merged.disagrees || (!merged.computed.empty() && declared != merged.computed);
  merged.declared_latest = declared;
  return merged;
}

std::vector<DataFinding> findings_of(const StageRecord& record, std::uint64_t sequence,
                                     const std::optional<KnownApplication>& known, bool after_closed,
                                     const std::string& conflicting) {
  std::vector<DataFinding> findings;
  const auto finding = [&](const char* kind, std::string detail) {
    findings.push_back(DataFinding{kind, record.stage, record.stage_at, record.received_at, sequence, std::move(detail)});
  };
  if (after_closed) finding(kStageAfterClosed, "closed at " + known->closed_at);
  else if (!conflicting.empty()) finding(kStageGoesBackwards, "contradicts stage " + conflicting);
  if (known && !known->reception_date.empty() && utc_key(known->reception_date) != utc_key(record.reception_date))
    finding(kReceptionDateChanged, "first " + known->reception_date + ", now " + record.reception_date);
  if (known && known->service_code != record.service_code)
    finding(kServiceChanged, "first " + known->service_code + ", now " + record.service_code);
  return findings;
}

std::string goes_backwards_condition(const std::string& code, const std::string& at_utc) {
  return "((code > " + code + " AND at_utc < " + at_utc + ") OR (code < " + code + " AND at_utc > " + at_utc + "))";
}

}  // namespace stagegate::monitoring

#pragma once
// Business documents -> value types. Input is the canonical bytes the signature covered.
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "stagegate/core/result.h"
#include "stagegate/routing/service_info.h"
#include "stagegate/routing/stage_event.h"

namespace stagegate::routing {

inline constexpr std::string_view kStageNamespace = "urn:stagegate:stage:1";
inline constexpr std::string_view kKnowledgeBaseNamespace = "urn:stagegate:kb:1";

// SCHEMA when the document breaks section 2: a required field is missing (including the
// stage-dependent ones: executor from stage 2, executionDate from 4, outcome at 6), an
// unknown or repeated element; the reason names the field as a path, never its value.
// DATA_INVALID for a bad check digit, an impossible date, a date before receptionDate, a
// receptionDate, stage time or executionDate later than `received_by_gateway` (the moment the gateway
// received the message) by more than kClockSkewAllowance, or an outcome before CLOSED.
// `received_by_gateway` also becomes the message's receivedAt.
Result<StageEvent> normalize_stage(std::string_view canonical_xml,
                                   std::chrono::system_clock::time_point received_by_gateway = std::chrono::system_clock::now());
Result<ServiceInfo> normalize_service_info(std::string_view canonical_xml);

// How far a provider's clock may run ahead of the gateway's before its times count as the future.
inline constexpr std::chrono::minutes kClockSkewAllowance{5};

// Which fields a reduced copy keeps, by path of one or two levels ("recipient",
// "recipient.lastName"); an object none of whose fields is kept is left out.
using FieldFilter = std::function<bool(std::string_view path)>;

// The versioned JSON of the normalized messages (schema "stagegate.stage/1", "stagegate.kb/1");
// with `keep`, only the fields it keeps.
std::string to_json(const StageEvent& event, const FieldFilter& keep = {});
std::string to_json(const ServiceInfo& info, const FieldFilter& keep = {});

// RECEIVED, SENT_FOR_EXECUTION, IN_PROGRESS, EXECUTED, AWAITING_ISSUANCE, CLOSED.
std::string_view stage_name(Stage stage);

// IIN/BIN: 12 digits whose 12th is the check digit of the national algorithm.
bool valid_iin_bin(std::string_view digits);

}  // namespace stagegate::routing

#pragma once
// The fields of stagegate.stage/1 and stagegate.kb/1 (docs/messages.md) as a fixed table, so
// that a destination's filter is resolved once into one bit per field and the JSON writer
// names a field by its number: no path is built or compared per field and message.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace stagegate::routing {

enum class KnownField : std::uint8_t {
  // stagegate.stage/1
  Schema, ApplicationId, Service, ServiceCode, ServiceName, Provider, ProviderBin, ProviderName, Recipient,
  RecipientIin, RecipientBin, RecipientLastName, RecipientFirstName, RecipientMiddleName, ReceptionPlace,
  ReceptionDate, Executor, PlannedDate, ExecutionDate, Stage, StageCode, StageName, StageAt, Outcome, DelayReason,
  DelayReasonKind, DelayReasonText, ReceivedAt,
  // stagegate.kb/1
  RegistryNumber, Name, NameKk, NameRu, Standard, Regulation, LegalChanges, Url, Responsible, ResponsibleFullName,
  ResponsiblePosition, ResponsiblePhone, ResponsibleEmail, Body, BodyBin, BodyName,
};

// In KnownField's order: the path a filter is asked about.
inline constexpr std::array<std::string_view, 44> kKnownFieldPaths{
    "schema", "applicationId", "service", "service.code", "service.name", "provider", "provider.bin",
    "provider.name", "recipient", "recipient.iin", "recipient.bin", "recipient.lastName", "recipient.firstName",
    "recipient.middleName", "receptionPlace", "receptionDate", "executor", "plannedDate", "executionDate", "stage",
    "stage.code", "stage.name", "stage.at", "outcome", "delayReason", "delayReason.kind", "delayReason.text",
    "receivedAt",
    "registryNumber", "name", "name.kk", "name.ru", "standard", "regulation", "legalChanges", "url", "responsible",
    "responsible.fullName", "responsible.position", "responsible.phone", "responsible.email", "body", "body.bin",
    "body.name"};
static_assert(static_cast<std::size_t>(KnownField::BodyName) + 1 == kKnownFieldPaths.size());
// One bit per field in a std::uint64_t.
static_assert(kKnownFieldPaths.size() <= 64);

constexpr std::string_view path_of(KnownField field) { return kKnownFieldPaths[static_cast<std::size_t>(field)]; }

// The JSON key: the path's last part ("lastName" of "recipient.lastName").
constexpr std::string_view key_of(KnownField field) {
  const auto path = path_of(field);
  const auto dot = path.find('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

constexpr std::uint64_t bit_of(KnownField field) { return std::uint64_t{1} << static_cast<unsigned>(field); }

inline std::optional<KnownField> known_field(std::string_view path) {
  for (std::size_t i = 0; i < kKnownFieldPaths.size(); ++i)
    if (kKnownFieldPaths[i] == path) return static_cast<KnownField>(i);
  return std::nullopt;
}

}  // namespace stagegate::routing

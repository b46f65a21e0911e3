#include <algorithm>
#include <iterator>

#include "document_fields.h"
#include "stagegate/routing/normalize.h"

namespace stagegate::routing {

Result<ServiceInfo> normalize_service_info(std::string_view canonical_xml) {
  auto read = DocumentFields::read(canonical_xml, kKnowledgeBaseNamespace, "ServiceInfo", true);
  if (!read) return read.refusal();
  const auto& fields = read.value();
  static constexpr std::string_view kKnown[] = {"registryNumber", "name", "standard", "regulation",
                                                "legalChanges", "url", "responsible", "body"};
  for (const auto& [name, node] : fields.all())
    if (std::find(std::begin(kKnown), std::end(kKnown), name) == std::end(kKnown))
      return refuse(Code::Schema, name + ": unknown element");

  ServiceInfo info;
  const auto required = [&](const char* name, std::string& into) -> Status {
    auto value = fields.text(name);
    if (!value) return value.refusal();
    into = std::move(value).value();
    return proceed();
  };
  for (const auto& [name, target] : {std::pair{"registryNumber", &info.registry_number},
                                     std::pair{"standard", &info.standard}, std::pair{"regulation", &info.regulation},
                                     std::pair{"url", &info.url}}) {
    if (const auto status = required(name, *target); !status) return status.refusal();
  }
  info.legal_changes = fields.optional_text("legalChanges");

  const auto names = fields.all().equal_range("name");
  for (auto it = names.first; it != names.second; ++it) {
    const std::string_view lang = it->second.attribute("lang").value();
    std::string* target = lang == "kk" ? &info.name_kk : lang == "ru" ? &info.name_ru : nullptr;
    if (!target) return refuse(Code::Schema, "name/@lang: kk or ru");
    if (!target->empty()) return refuse(Code::Schema, "name: one per language");
    *target = trimmed_text(it->second);
  }
  if (info.name_kk.empty()) return missing("name[@lang='kk']");
  if (info.name_ru.empty()) return missing("name[@lang='ru']");

  const auto responsible_node = fields.find("responsible");
  if (!responsible_node) return missing("responsible");
  auto responsible = collect_children(responsible_node, kKnowledgeBaseNamespace, "responsible",
                                      {"fullName", "position", "phone", "email"});
  if (!responsible) return responsible.refusal();
  for (const auto& [name, target] :
       {std::pair{"fullName", &info.responsible_full_name}, std::pair{"position", &info.responsible_position},
        std::pair{"phone", &info.responsible_phone}, std::pair{"email", &info.responsible_email}}) {
    const auto found = responsible->find(name);
    *target = found == responsible->end() ? std::string() : trimmed_text(found->second);
    if (target->empty()) return missing(std::string("responsible/") + name);
  }
  if (info.responsible_email.find('@') == std::string::npos)
    return refuse(Code::DataInvalid, "responsible/email: not an e-mail address");

  const auto body = fields.find("body");
  if (!body) return missing("body");
  info.body_bin = body.attribute("bin").value();
  if (info.body_bin.empty()) return missing("body/@bin");
  if (!valid_iin_bin(info.body_bin)) return refuse(Code::DataInvalid, "body/@bin: not a valid BIN (check digit)");
  info.body_name = trimmed_text(body);
  if (info.body_name.empty()) return missing("body");
  return info;
}

}  // namespace stagegate::routing

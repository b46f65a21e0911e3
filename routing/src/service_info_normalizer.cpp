#include <array>
#include <string>

#include "document_fields.h"
#include "stagegate/routing/normalize.h"

namespace stagegate::routing {

Result<ServiceInfo> normalize_service_info(std::string_view canonical_xml) {
  static constexpr std::array<std::string_view, 8> kKnown{"registryNumber", "name", "standard", "regulation",
                                                          "legalChanges", "url", "responsible", "body"};
  pugi::xml_document document;
  auto read = DocumentFields::read(document, canonical_xml, kKnowledgeBaseNamespace, "ServiceInfo", kKnown, "name");
  if (!read) return read.refusal();
  const auto& fields = read.value();

  ServiceInfo info;
  for (const auto& [name, target] : {std::pair{"registryNumber", &info.registry_number},
                                     std::pair{"standard", &info.standard}, std::pair{"regulation", &info.regulation},
                                     std::pair{"url", &info.url}}) {
    const auto value = fields.text(name);
    if (!value) return value.refusal();
    target->assign(value.value());
  }
  info.legal_changes = fields.optional_text("legalChanges");

  // Every name, in document order (read() let "name" repeat; all children passed its namespace check).
  for (const auto& child : fields.root().children()) {
    if (child.type() != pugi::node_element || local_name(child) != "name") continue;
    const std::string_view lang = child.attribute("lang").value();
    std::string* target = lang == "kk" ? &info.name_kk : lang == "ru" ? &info.name_ru : nullptr;
    if (!target) return refuse(Code::Schema, "name/@lang: kk or ru");
    if (!target->empty()) return refuse(Code::Schema, "name: one per language");
    *target = trimmed_text(child);
  }
  if (info.name_kk.empty()) return missing("name[@lang='kk']");
  if (info.name_ru.empty()) return missing("name[@lang='ru']");

  const auto responsible_node = fields.find("responsible");
  if (!responsible_node) return missing("responsible");
  static constexpr std::array<std::string_view, 4> kResponsible{"fullName", "position", "phone", "email"};
  const auto responsible = collect_children(responsible_node, kKnowledgeBaseNamespace, "responsible", kResponsible);
  if (!responsible) return responsible.refusal();
  const std::array<std::string*, 4> targets{&info.responsible_full_name, &info.responsible_position,
                                            &info.responsible_phone, &info.responsible_email};
  for (std::size_t i = 0; i < kResponsible.size(); ++i) {
    *targets[i] = trimmed_text(responsible.value()[i]);
    if (targets[i]->empty()) return missing("responsible/" + std::string(kResponsible[i]));
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

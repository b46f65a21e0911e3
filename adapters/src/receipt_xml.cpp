#include "receipt_xml.h"

#include <charconv>

namespace stagegate::adapters {
namespace {

std::optional<std::string_view> element_text(std::string_view xml, std::string_view name) {
  std::string open("<");
  open.append(name).append(">");
  std::string close("</");
  close.append(name).append(">");
  const auto start = xml.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  const auto from = start + open.size();
  const auto end = xml.find(close, from);
  if (end == std::string_view::npos) return std::nullopt;
  return xml.substr(from, end - from);
}

}  // namespace

std::string receipt_to_xml(const Receipt& receipt) {
  // received_at is our own xsd:dateTime and sequence a number: nothing here needs escaping.
  std::string xml = "<Receipt xmlns=\"";
  xml += kReceiptNamespace;
  xml += "\"><sequence>" + std::to_string(receipt.sequence) + "</sequence><receivedAt>" +
         receipt.received_at + "</receivedAt><duplicate>" + (receipt.duplicate ? "true" : "false") +
         "</duplicate></Receipt>";
  return xml;
}

std::optional<Receipt> receipt_from_xml(std::string_view xml) {
  const auto sequence = element_text(xml, "sequence");
  const auto received_at = element_text(xml, "receivedAt");
  const auto duplicate = element_text(xml, "duplicate");
  if (!sequence || !received_at || !duplicate) return std::nullopt;
  Receipt receipt;
  const auto [ptr, ec] = std::from_chars(sequence->data(), sequence->data() + sequence->size(), receipt.sequence);
  if (ec != std::errc{} || ptr != sequence->data() + sequence->size()) return std::nullopt;
  receipt.received_at = std::string(*received_at);
  receipt.duplicate = *duplicate == "true";
  return receipt;
}

}  // namespace stagegate::adapters

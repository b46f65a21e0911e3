#pragma once
// The SCSS001 receipt carried in responseData/data (namespace urn:stagegate:receipt:1).
#include <optional>
#include <string>
#include <string_view>

#include "stagegate/core/message.h"

namespace stagegate::adapters {

inline constexpr std::string_view kReceiptNamespace = "urn:stagegate:receipt:1";

std::string receipt_to_xml(const Receipt& receipt);
// Reads what receipt_to_xml wrote; nothing when the text is not a receipt.
std::optional<Receipt> receipt_from_xml(std::string_view xml);

}  // namespace stagegate::adapters

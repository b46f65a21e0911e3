#pragma once
#include <string>
#include <string_view>

#include "stagegate/core/result.h"

namespace stagegate::adapters {

// requestData/data as gSOAP captured it (literal XML) -> the business document's bytes.
// The document is either the single element child of data, or (for compatibility,
// xsi:type="xs:string") escaped XML text. MALFORMED when data is empty or holds neither.
Result<std::string> extract_business_document(std::string_view data_literal);

}  // namespace stagegate::adapters

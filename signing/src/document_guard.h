#pragma once
// The only way a document reaches libxml2 here: size and DOCTYPE checked on the bytes first,
// parsed without network or entity loading, then depth checked.
#include <string_view>

#include "handles.h"
#include "stagegate/core/result.h"
#include "stagegate/signing/verifier.h"

namespace stagegate::signing {

// MALFORMED with the reason (and libxml2's line) on refusal.
Result<XmlDoc> parse_guarded(std::string_view document, const DocumentLimits& limits);

}  // namespace stagegate::signing

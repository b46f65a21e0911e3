#pragma once
// The only way a document reaches libxml2 here: size and DOCTYPE checked on the bytes first,
// parsed without network or entity loading, then depth checked.
#include <string_view>

#include "handles.h"
#include "stagegate/core/result.h"
#include "stagegate/signing/verifier.h"

namespace stagegate::signing {

// MALFORMED with the reason (and libxml2's line) on refusal. Parsed with the calling thread's
// reusable parser context: the document shares that context's name dictionary, which the
// thread's next parse adds to, so use and free the document on the thread that parsed it.
Result<XmlDoc> parse_guarded(std::string_view document, const DocumentLimits& limits);

}  // namespace stagegate::signing

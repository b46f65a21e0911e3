#pragma once
// The only way a document reaches libxml2 here: size and DOCTYPE checked on the bytes first,
// parsed without network or entity loading, then depth checked.
#include <string_view>

#include "handles.h"
#include "stagegate/core/result.h"
#include "stagegate/signing/verifier.h"

namespace stagegate::signing {

// What the caller does with the tree. A tree only read is parsed with short text stored in
// the node itself (XML_PARSE_COMPACT, one allocation less per such node), which libxml2
// documents as not to be modified afterwards; a tree to be modified is parsed without it, by
// a parser context of its own.
enum class TreeUse { read_only, modified };

// MALFORMED with the reason (and libxml2's line) on refusal. A read-only tree is parsed with
// the calling thread's reusable parser context and shares that context's name dictionary,
// which the thread's next parse adds to: use and free it on the thread that parsed it.
Result<XmlDoc> parse_guarded(std::string_view document, const DocumentLimits& limits,
                             TreeUse use = TreeUse::read_only);

}  // namespace stagegate::signing

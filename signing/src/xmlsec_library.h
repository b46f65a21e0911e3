#pragma once
#include <string>

namespace stagegate::signing {

// libxml2 + xmlsec + its OpenSSL backend, initialised once per process and never shut down
// (other threads may still be verifying at exit).
void ensure_xmlsec();

// The last xmlsec error reported on this thread, cleared by take.
std::string take_xmlsec_error();

}  // namespace stagegate::signing

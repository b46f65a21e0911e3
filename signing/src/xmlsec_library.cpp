#include "xmlsec_library.h"

#include <libxml/parser.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmlsec.h>

#include <mutex>
#include <stdexcept>

namespace stagegate::signing {
namespace {

thread_local std::string last_error;

// xmlsec prints to stderr by default; a gateway keeps errors as reasons instead.
void remember_error(const char* /*file*/, int /*line*/, const char* func, const char* object, const char* subject,
                    int reason, const char* message) {
  std::string text;
  if (const char* known = xmlSecErrorsGetMsg(static_cast<xmlSecSize>(reason)); known && reason != 0) text = known;
  if (message && *message) text += std::string(text.empty() ? "" : ": ") + message;
  if (subject && *subject) text += std::string(" [") + subject + "]";
  (void)func;
  (void)object;
  last_error = text;
}

}  // namespace

void ensure_xmlsec() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    if (xmlSecInit() < 0) throw std::runtime_error("xmlsec initialisation failed");
    if (xmlSecCheckVersion() != 1) throw std::runtime_error("xmlsec library version mismatch");
    if (xmlSecCryptoAppInit(nullptr) < 0 || xmlSecCryptoInit() < 0)
      throw std::runtime_error("xmlsec OpenSSL backend initialisation failed");
    xmlSecErrorsSetCallback(remember_error);
  });
}

std::string take_xmlsec_error() {
  std::string error;
  error.swap(last_error);
  return error;
}

}  // namespace stagegate::signing

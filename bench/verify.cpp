// Verifications per second of one signed 3 KB stage notification, on one thread, in one run:
//   (a) plain libxmlsec1 as its examples use it (examples/verify3.c): a keys manager
//       holding the trusted CA, the certificate taken from KeyInfo and validated by
//       xmlsec for every message, a fresh signature context per message;
//   (b) stagegate's Verifier with the full policy (guarded parse, profile, cached chain,
//       xmlsec verify, canonical bytes kept).
// usage: bench_verify [iterations=5000]
#include <xmlsec/crypto.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "stagegate/signing/pki.h"
#include "stagegate/signing/signer.h"
#include "stagegate/signing/verifier.h"
#include "support/files.h"
#include "support/temp_dir.h"

using namespace stagegate;
using Clock = std::chrono::steady_clock;

namespace {

struct FreeManager {
  void operator()(xmlSecKeysMngrPtr manager) const { xmlSecKeysMngrDestroy(manager); }
};
struct FreeDoc {
  void operator()(xmlDocPtr doc) const { xmlFreeDoc(doc); }
};
struct FreeContext {
  void operator()(xmlSecDSigCtxPtr context) const { xmlSecDSigCtxDestroy(context); }
};

// What an integrator writes from xmlsec's verify3.c.
class PlainXmlsec {
 public:
  explicit PlainXmlsec(const std::filesystem::path& ca) : manager_(xmlSecKeysMngrCreate()) {
    if (!manager_ || xmlSecCryptoAppDefaultKeysMngrInit(manager_.get()) < 0 ||
        xmlSecCryptoAppKeysMngrCertLoad(manager_.get(), ca.c_str(), xmlSecKeyDataFormatPem, xmlSecKeyDataTypeTrusted) < 0)
      throw std::runtime_error("xmlsec keys manager setup failed");
  }
  bool verify(const std::string& document) const {
    std::unique_ptr<xmlDoc, FreeDoc> doc(xmlReadMemory(document.data(), static_cast<int>(document.size()), nullptr, nullptr,
                                                       XML_PARSE_NONET));
    if (!doc) return false;
    xmlNodePtr signature = xmlSecFindNode(xmlDocGetRootElement(doc.get()), xmlSecNodeSignature, xmlSecDSigNs);
    if (!signature) return false;
    std::unique_ptr<xmlSecDSigCtx, FreeContext> context(xmlSecDSigCtxCreate(manager_.get()));
    if (!context || xmlSecDSigCtxVerify(context.get(), signature) < 0) return false;
    return context->status == xmlSecDSigStatusSucceeded;
  }

 private:
  std::unique_ptr<xmlSecKeysMngr, FreeManager> manager_;
};

template <class Verify>
double per_second(int iterations, Verify verify) {
  if (!verify()) throw std::runtime_error("the document does not verify");
  const auto start = Clock::now();
  for (int i = 0; i < iterations; ++i)
    if (!verify()) throw std::runtime_error("verification failed during the run");
  return iterations / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) try {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 5000;
  test::TempDir dir("stagegate-bench-verify");
  const auto pki = signing::Pki::open_or_create(dir / "pki");
  signing::CertificateRequest request;
  request.common_name = "Bench Provider Signer";
  request.organization_bin = "050140001238";
  request.person_iin = "880501300451";
  const auto signer = pki.issue("provider", request);
  const auto signed_document =
      signing::sign_enveloped(test::read_text(std::filesystem::path(STAGEGATE_SAMPLES) / "stage.xml"), signer.private_key, signer.certificate);
  if (!signed_document) throw std::runtime_error(signed_document.refusal().reason);
  const auto& document = signed_document.value();

  // Creating the Verifier initialises libxml2 and xmlsec for both variants.
  const auto stagegate_verifier = signing::Verifier::create(signing::TrustConfig{{pki.ca_certificate()}, {pki.revoke({}, "ca")}});
  const PlainXmlsec plain(pki.ca_certificate());

  const double plain_rate = per_second(iterations, [&] { return plain.verify(document); });
  const double policy_rate = per_second(iterations, [&] { return stagegate_verifier.verify(document).ok(); });

  std::printf("verify: %zu-byte signed stage notification (RSA-2048, SHA-256), %d verifications each, 1 thread, %u cores\n",
              document.size(), iterations, std::thread::hardware_concurrency());
  std::printf("%-44s %12s %14s\n", "variant", "verify/s", "us/verify");
  std::printf("%-44s %12.0f %14.1f\n", "(a) plain libxmlsec1 (keys manager, per msg)", plain_rate, 1e6 / plain_rate);
  std::printf("%-44s %12.0f %14.1f\n", "(b) stagegate Verifier, full policy", policy_rate, 1e6 / policy_rate);
  std::printf("ratio (b)/(a): %.2f (target >= 4)\n", policy_rate / plain_rate);
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "bench_verify: %s\n", error.what());
  return 1;
}

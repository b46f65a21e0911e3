// Verifications per second of one signed 3 KB stage notification, on one thread, in one run:
//   (a) plain libxmlsec1 as its examples use it (examples/verify3.c): a keys manager
//       holding the trusted CA, the certificate taken from KeyInfo and validated by
//       xmlsec for every message, a fresh signature context per message;
//   (b) stagegate's Verifier with the full policy (guarded parse, profile, cached chain,
//       canonical bytes kept), digest and signature by xmlsec's generic engine
//       (Verifier::verify_with_xmlsec: how verify() worked before the direct path);
//   (c) the same policy as verify() runs it: c14n, digest and signature checked directly
//       (libxml2 c14n + OpenSSL EVP, signing/src/direct_verification.h).
// usage: bench_verify [iterations=5000] [a|b|c: only that variant, e.g. under callgrind]
#include <xmlsec/crypto.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include <chrono>
#include <ctime>
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

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Wall-clock rate, and the thread's CPU time per verification: on a shared machine the CPU
// time is the steadier figure (time spent waiting for a core is not counted).
struct Rate {
  double per_second = 0;
  double cpu_us = 0;
};

template <class Verify>
Rate measure(int iterations, Verify verify) {
  if (!verify()) throw std::runtime_error("the document does not verify");
  const auto start = Clock::now();
  const double cpu_start = thread_cpu_seconds();
  for (int i = 0; i < iterations; ++i)
    if (!verify()) throw std::runtime_error("verification failed during the run");
  return {iterations / std::chrono::duration<double>(Clock::now() - start).count(),
          (thread_cpu_seconds() - cpu_start) * 1e6 / iterations};
}

}  // namespace

int main(int argc, char** argv) try {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 5000;
  const std::string only = argc > 2 ? argv[2] : "";
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

  // Both policy variants must yield the same verified bytes, or the comparison means nothing.
  const auto before = stagegate_verifier.verify_with_xmlsec(document);
  const auto after = stagegate_verifier.verify(document);
  if (!before || !after || before->canonical_xml != after->canonical_xml)
    throw std::runtime_error("the two Verifier paths disagree on the sample");

  const auto run = [&](const char* variant, auto verify) {
    return only.empty() || only == variant ? measure(iterations, verify) : Rate{};
  };
  const Rate plain_rate = run("a", [&] { return plain.verify(document); });
  const Rate policy_rate = run("b", [&] { return stagegate_verifier.verify_with_xmlsec(document).ok(); });
  const Rate direct_rate = run("c", [&] { return stagegate_verifier.verify(document).ok(); });

  std::printf("verify: %zu-byte signed stage notification (RSA-2048, SHA-256), %d verifications each, 1 thread, %u cores\n",
              document.size(), iterations, std::thread::hardware_concurrency());
  std::printf("%-44s %12s %14s %16s %14s\n", "variant", "verify/s", "us/verify", "cpu us/verify", "verify/cpu-s");
  const auto row = [](const char* name, const Rate& rate) {
    std::printf("%-44s %12.0f %14.1f %16.1f %14.0f\n", name, rate.per_second, 1e6 / rate.per_second, rate.cpu_us,
                1e6 / rate.cpu_us);
  };
  row("(a) plain libxmlsec1 (keys manager, per msg)", plain_rate);
  row("(b) Verifier, full policy, xmlsec engine", policy_rate);
  row("(c) Verifier, full policy, direct (verify())", direct_rate);
  if (only.empty())
    std::printf("ratio (b)/(a): %.2f (target >= 4); (c)/(b): %.2f; (c) target >= 20000/s on one core\n",
                policy_rate.per_second / plain_rate.per_second, direct_rate.per_second / policy_rate.per_second);
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "bench_verify: %s\n", error.what());
  return 1;
}

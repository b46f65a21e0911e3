#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/files.h"
#include "cli/revocation.h"
#include "stagegate/signing/verifier.h"

namespace stagegate::cli {

// Exit 0: verified (prints the signer); 1: refused (prints the code and reason); 2: usage/I-O.
int verify(int argc, char** argv) {
  const Arguments args(argc, argv, 2, {"no-revocation-check"});
  args.allow_only({"ca", "crl", "no-revocation-check"});
  if (args.positional().size() != 1) throw UsageError("verify takes one document");
  signing::TrustConfig trust;
  for (const auto& ca : args.all("ca")) trust.anchors.emplace_back(ca);
  if (trust.anchors.empty()) throw UsageError("--ca is required (repeat it for several anchors)");
  trust = revocation_options(args, std::move(trust));
  const auto verifier = signing::Verifier::create(trust);
  const auto verified = verifier.verify(read_file(args.positional().front()));
  if (!verified) {
    std::cout << contract_code(verified.refusal().code) << ": " << verified.refusal().reason << '\n';
    return 1;
  }
  std::cout << "verified: " << verified->signer.subject << '\n';
  return 0;
}

}  // namespace stagegate::cli

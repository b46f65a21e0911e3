#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/files.h"
#include "stagegate/signing/signer.h"

namespace stagegate::cli {

int sign(int argc, char** argv) {
  const Arguments args(argc, argv, 2);
  args.allow_only({"key", "cert"});
  if (args.positional().size() != 1) throw UsageError("sign takes one document (or - for standard input)");
  const auto signed_document =
      signing::sign_enveloped(read_file(args.positional().front()), args.required("key"), args.required("cert"));
  if (!signed_document) {
    std::cerr << "stagegate sign: " << contract_code(signed_document.refusal().code) << ": "
              << signed_document.refusal().reason << '\n';
    return 1;
  }
  std::cout << signed_document.value();
  return 0;
}

}  // namespace stagegate::cli

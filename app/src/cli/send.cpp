#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/files.h"
#include "stagegate/adapters/bus_client.h"

namespace stagegate::cli {

int send(int argc, char** argv) {
  const Arguments args(argc, argv, 2);
  args.allow_only({"url", "sender", "password", "service-id", "message-id", "correlation-id", "timeout",
                   "tls-ca", "tls-cert", "tls-key"});
  if (args.positional().size() != 1) throw UsageError("send takes one signed document (or - for standard input)");

  adapters::OutboundMessage message;
  message.sender_id = args.required("sender");
  message.password = args.get_or("password", "");
  message.service_id = args.get_or("service-id", "STAGE_NOTIFICATION");
  message.message_id = args.get_or("message-id", "");
  message.correlation_id = args.get_or("correlation-id", "");
  message.document = read_file(args.positional().front());

  adapters::ClientTls tls;
  tls.server_ca = args.get_or("tls-ca", "");
  tls.certificate = args.get_or("tls-cert", "");
  tls.private_key = args.get_or("tls-key", tls.certificate.string());
  const auto reply = adapters::send_message(args.get_or("url", "http://127.0.0.1:8080/"), message,
                                            std::stoi(args.get_or("timeout", "30")), tls);
  if (!reply.transport_ok) {
    std::cerr << "stagegate send: no SOAP answer: " << reply.message << '\n';
    return 2;
  }
  std::cout << "messageId: " << reply.message_id << '\n' << "status: " << reply.status_code << '\n'
            << "message: " << reply.message << '\n';
  if (reply.sequence)
    std::cout << "sequence: " << *reply.sequence << '\n' << "receivedAt: " << reply.received_at << '\n'
              << "duplicate: " << (reply.duplicate ? "true" : "false") << '\n';
  return reply.status_code == "SCSS001" ? 0 : 1;
}

}  // namespace stagegate::cli

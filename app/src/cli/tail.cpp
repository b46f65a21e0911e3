#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>

#include "cli/arguments.h"
#include "cli/bus_keys.h"
#include "cli/commands.h"
#include "cli/defaults.h"
#include "stagegate/bus/message_archive.h"
#include "stagegate/bus/subscriber.h"

namespace stagegate::cli {

// Without --name: an observer printing from now on. With --name: a durable consumer the
// gateway remembers, resuming after what it acknowledged; with --store it also keeps every
// message in a SQLite file and acknowledges only once a message is stored there.
int tail(int argc, char** argv) {
  const Arguments args(argc, argv, 2, {"quiet", "plaintext"});
  std::vector<std::string> known{"endpoint", "topic", "destination", "count", "idle-timeout", "name", "store", "window", "quiet", "var"};
  known.insert(known.end(), kConsumerBusKeyOptions.begin(), kConsumerBusKeyOptions.end());
  args.allow_only(known);
  const auto endpoint = args.get_or("endpoint", "tcp://127.0.0.1:5556");
  const long count = std::stol(args.get_or("count", "0"));  // 0: until interrupted
  const auto idle_timeout = std::chrono::milliseconds(std::stol(args.get_or("idle-timeout", "0")));
  const bool quiet = args.has("quiet");

  std::optional<bus::MessageArchive> archive;
  if (args.has("store")) {
    if (!args.has("name")) throw UsageError("--store needs --name (the consumer the gateway remembers)");
    archive = bus::MessageArchive::open(args.required("store"));
  }
  bus::SubscriberConfig config;
  config.endpoint = endpoint;
  config.name = args.get_or("name", "");
  config.topics = args.all("destination");
  for (const auto& topic : args.all("topic")) config.topics.push_back(topic);  // the earlier name
  config.window = std::stoul(args.get_or("window", "64"));
  config.processed = archive ? archive->last_sequence() : 0;
  // The dev keys of `stagegate dev-setup`: VAR/bus/NAME.key for a named consumer, else tail.key.
  const Defaults defaults(args.get_or("var", "var"));
  apply_consumer_keys(args, defaults, config.name.empty() ? std::string("tail") : config.name, config);
  bus::Subscriber subscriber(config);
  const bool ready = subscriber.wait_ready(std::chrono::seconds(10));
  if (subscriber.denied()) {
    std::cerr << "stagegate tail: refused by the gateway: " << subscriber.last_error() << '\n';
    return 1;
  }
  if (!ready)
    std::cerr << "stagegate tail: no welcome from " << endpoint << " yet; still waiting"
              << (subscriber.last_error().empty() ? std::string() : " (the gateway said: " + subscriber.last_error() + ")")
              << (config.server_public_key.empty()
                      ? ""
                      : " (is --server-key the gateway's public key? with another the handshake fails without an answer)")
              << '\n';
  else
    std::cerr << "stagegate tail: connected to " << endpoint
              << (config.name.empty() ? std::string(" as an observer") : " as consumer " + config.name) << '\n';

  long received = 0;
  auto last_message = std::chrono::steady_clock::now();
  while (count == 0 || received < count) {
    const auto message = subscriber.receive(std::chrono::milliseconds(200));
    if (!message && !subscriber.last_error().empty()) {
      std::cerr << "stagegate tail: refused by the gateway: " << subscriber.last_error() << '\n';
      return 1;
    }
    if (!message) {
      if (idle_timeout.count() > 0 && std::chrono::steady_clock::now() - last_message > idle_timeout) break;
      continue;
    }
    last_message = std::chrono::steady_clock::now();
    if (archive && !archive->store(*message)) {
      subscriber.refuse(*message, "consumer store refused the write");
      continue;
    }
    // The payload is already JSON; the envelope adds the delivery facts around it.
    if (!quiet)
      std::cout << "{\"sequence\":" << message->sequence << ",\"topic\":\"" << message->topic
                << "\",\"message\":" << message->payload << "}" << std::endl;
    subscriber.acknowledge(*message);
    ++received;
  }
  return 0;
}

}  // namespace stagegate::cli

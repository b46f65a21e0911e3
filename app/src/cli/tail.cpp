#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

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
  auto endpoints = args.all("endpoint");
  if (endpoints.empty()) endpoints.push_back("tcp://127.0.0.1:5556");
  const long count = std::stol(args.get_or("count", "0"));  // 0: until interrupted
  const auto idle_timeout = std::chrono::milliseconds(std::stol(args.get_or("idle-timeout", "0")));
  const bool quiet = args.has("quiet");

  std::optional<bus::MessageArchive> archive;
  if (args.has("store")) {
    if (!args.has("name")) throw UsageError("--store needs --name (the consumer the gateway remembers)");
    // The archive keeps one position; each gateway instance numbers its own journal.
    if (endpoints.size() > 1) throw UsageError("--store takes one --endpoint (each gateway instance has its own sequence)");
    archive = bus::MessageArchive::open(args.required("store"));
  }
  bus::SubscriberConfig config;
  config.name = args.get_or("name", "");
  config.topics = args.all("destination");
  for (const auto& topic : args.all("topic")) config.topics.push_back(topic);  // the earlier name
  config.window = std::stoul(args.get_or("window", "64"));
  config.processed = archive ? archive->last_sequence() : 0;
  // The dev keys of `stagegate dev-setup`: VAR/bus/NAME.key for a named consumer, else tail.key.
  const Defaults defaults(args.get_or("var", "var"));
  apply_consumer_keys(args, defaults, config.name.empty() ? std::string("tail") : config.name, config);

  // One subscriber per gateway instance (scale-out: each instance has its own journal and
  // sequence), each on its own thread; lines are written whole, one at a time.
  std::mutex output;
  std::atomic<long> received{0};
  std::atomic<bool> done{false};
  std::atomic<int> failed{0};
  auto last_message = std::chrono::steady_clock::now();
  const auto at = [&](const std::string& endpoint) { return endpoints.size() > 1 ? " at " + endpoint : std::string(); };
  const auto follow = [&](const std::string& endpoint) {
    auto own = config;
    own.endpoint = endpoint;
    bus::Subscriber subscriber(own);
    const bool ready = subscriber.wait_ready(std::chrono::seconds(10));
    if (subscriber.denied()) {
      std::lock_guard lock(output);
      std::cerr << "stagegate tail: refused by the gateway" << at(endpoint) << ": " << subscriber.last_error() << '\n';
      failed = 1;
      done = true;
      return;
    }
    {
      std::lock_guard lock(output);
      if (!ready)
        std::cerr << "stagegate tail: no welcome from " << endpoint << " yet; still waiting"
                  << (subscriber.last_error().empty() ? std::string() : " (the gateway said: " + subscriber.last_error() + ")")
                  << (own.server_public_key.empty()
                          ? ""
                          : " (is --server-key the gateway's public key? with another the handshake fails without an answer)")
                  << '\n';
      else
        std::cerr << "stagegate tail: connected to " << endpoint
                  << (own.name.empty() ? std::string(" as an observer") : " as consumer " + own.name) << '\n';
    }
    while (!done) {
      const auto message = subscriber.receive(std::chrono::milliseconds(200));
      std::lock_guard lock(output);
      if (!message && !subscriber.last_error().empty()) {
        std::cerr << "stagegate tail: refused by the gateway" << at(endpoint) << ": " << subscriber.last_error() << '\n';
        failed = 1;
        done = true;
        return;
      }
      if (!message) {
        if (idle_timeout.count() > 0 && std::chrono::steady_clock::now() - last_message > idle_timeout) done = true;
        continue;
      }
      if (count != 0 && received >= count) {
        done = true;
        return;  // not acknowledged: the gateway delivers it again to the next run
      }
      last_message = std::chrono::steady_clock::now();
      if (archive && !archive->store(*message)) {
        subscriber.refuse(*message, "consumer store refused the write");
        continue;
      }
      // The payload is already JSON; the envelope adds the delivery facts around it.
      if (!quiet)
        std::cout << "{\"sequence\":" << message->sequence << ",\"topic\":\"" << message->topic << '"'
                  << (endpoints.size() > 1 ? ",\"gateway\":\"" + endpoint + '"' : std::string()) << ",\"message\":"
                  << message->payload << "}" << std::endl;
      subscriber.acknowledge(*message);
      if (count != 0 && ++received >= count) done = true;
    }
  };
  std::vector<std::thread> followers;
  for (const auto& endpoint : endpoints) followers.emplace_back(follow, endpoint);
  for (auto& follower : followers) follower.join();
  return failed.load();
}

}  // namespace stagegate::cli

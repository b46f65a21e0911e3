#include <chrono>
#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "stagegate/bus/subscriber.h"

namespace stagegate::cli {

int tail(int argc, char** argv) {
  const Arguments args(argc, argv, 2);
  args.allow_only({"endpoint", "topic", "count", "idle-timeout"});
  const auto endpoint = args.get_or("endpoint", "tcp://127.0.0.1:5556");
  const long count = std::stol(args.get_or("count", "0"));  // 0: until interrupted
  const auto idle_timeout = std::chrono::milliseconds(std::stol(args.get_or("idle-timeout", "0")));

  bus::Subscriber subscriber(endpoint, args.all("topic"));
  if (!subscriber.wait_ready(std::chrono::seconds(10)))
    std::cerr << "stagegate tail: no welcome from " << endpoint << " yet; still waiting\n";
  else
    std::cerr << "stagegate tail: subscribed to " << endpoint << '\n';

  long received = 0;
  auto last_message = std::chrono::steady_clock::now();
  while (count == 0 || received < count) {
    const auto message = subscriber.receive(std::chrono::milliseconds(200));
    if (!message) {
      if (idle_timeout.count() > 0 && std::chrono::steady_clock::now() - last_message > idle_timeout) break;
      continue;
    }
    last_message = std::chrono::steady_clock::now();
    // The payload is already JSON; the envelope adds the delivery facts around it.
    std::cout << "{\"sequence\":" << message->sequence << ",\"topic\":\"" << message->topic
              << "\",\"message\":" << message->payload << "}" << std::endl;
    ++received;
  }
  return 0;
}

}  // namespace stagegate::cli

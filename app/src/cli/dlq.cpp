#include <algorithm>
#include <iostream>
#include <string_view>

#include "cli/arguments.h"
#include "cli/bus_keys.h"
#include "cli/commands.h"
#include "cli/defaults.h"
#include "stagegate/bus/delivery_state.h"
#include "stagegate/bus/journal.h"

namespace stagegate::cli {
namespace {

std::int64_t id_argument(const Arguments& args) {
  if (args.positional().size() != 2) throw UsageError("give the dead letter's id (see `stagegate dlq list`)");
  try {
    return std::stoll(args.positional()[1]);
  } catch (const std::exception&) {
    throw UsageError("not an id: " + args.positional()[1]);
  }
}

std::filesystem::path journal_file(const Arguments& args) {
  return args.get_or("journal", Defaults(args.get_or("var", "var")).journal().string());
}

}  // namespace

// Operators' view of messages consumers could not handle. Works while the gateway runs.
int dlq(int argc, char** argv) {
  const Arguments args(argc, argv, 2);
  args.allow_only({"journal", "var"});
  if (args.positional().empty()) throw UsageError("dlq takes list, show ID, replay ID or drop ID");
  const auto& action = args.positional().front();
  auto state = bus::DeliveryState::open(journal_file(args));
  if (action == "list") {
    const auto letters = state.dead_letters();
    std::cout << "id\tconsumer\tsequence\tfailures\tat\treason\n";
    for (const auto& letter : letters)
      std::cout << letter.id << '\t' << letter.consumer << '\t' << letter.sequence << '\t' << letter.failures << '\t'
                << letter.at << '\t' << letter.reason << '\n';
    std::cerr << letters.size() << " dead letter(s)\n";
    return 0;
  }
  const auto id = id_argument(args);
  const auto letter = state.dead_letter(id);
  if (!letter) {
    std::cerr << "stagegate dlq: no dead letter " << id << '\n';
    return 1;
  }
  if (action == "show") {
    const auto journal = bus::Journal::open(journal_file(args));
    const auto entry = journal.read(letter->sequence);
    std::cout << "id: " << letter->id << "\nconsumer: " << letter->consumer << "\nsequence: " << letter->sequence
              << "\nfailures: " << letter->failures << "\nat: " << letter->at << "\nreason: " << letter->reason << '\n';
    if (entry)
      std::cout << "sender: " << entry->sender_id << "\nmessageId: " << entry->message_id << "\nservice: " << entry->service_id
                << "\ntopic: " << entry->topic << "\nreceivedAt: " << entry->received_at << "\nmessage: " << entry->payload << '\n';
    else
      std::cout << "message: (removed by retention)\n";
    return 0;
  }
  if (action == "replay") {
    state.replay(id);
    std::cout << "dead letter " << id << " queued for redelivery to " << letter->consumer << " (sequence "
              << letter->sequence << ")\n";
    return 0;
  }
  if (action == "drop") {
    state.drop(id);
    std::cout << "dead letter " << id << " dropped\n";
    return 0;
  }
  throw UsageError("dlq takes list, show ID, replay ID or drop ID");
}

// Named consumers the gateway remembers, and their positions; `forget` for one gone for good.
int consumers(int argc, char** argv) {
  if (argc > 2 && std::string_view(argv[2]) == "add") return add_consumer(argc, argv);  // bus_keys.cpp
  if (argc > 2 && std::string_view(argv[2]) == "remove") return remove_consumer(argc, argv);
  const Arguments args(argc, argv, 2);
  args.allow_only({"journal", "var", "consumers"});
  const auto action = args.positional().empty() ? std::string("list") : args.positional().front();
  auto state = bus::DeliveryState::open(journal_file(args));
  if (action == "list") {
    const auto journal = bus::Journal::open(journal_file(args));
    const auto last = journal.last_sequence();
    // Positions the journal remembers, and whether each name holds a bus key; registered
    // consumers that never connected are listed too, with no position.
    auto registered = registered_consumers(args.get_or("consumers", Defaults(args.get_or("var", "var")).consumers().string()));
    const auto take_registered = [&](const std::string& name) {
      const auto found = std::find(registered.begin(), registered.end(), name);
      if (found == registered.end()) return false;
      registered.erase(found);
      return true;
    };
    std::cout << "name\ttopics\tacknowledged\tbehind\tlast_seen\tbus_key\n";
    for (const auto& consumer : state.consumers())
      std::cout << consumer.name << '\t' << (consumer.topics.empty() ? "*" : consumer.topics) << '\t'
                << consumer.acknowledged << '\t' << (last > consumer.acknowledged ? last - consumer.acknowledged : 0)
                << '\t' << consumer.last_seen << '\t' << (take_registered(consumer.name) ? "registered" : "-") << '\n';
    for (const auto& name : registered) std::cout << name << "\t-\t-\t-\t-\tregistered\n";
    return 0;
  }
  if (action == "forget" && args.positional().size() == 2) {
    if (!state.forget_consumer(args.positional()[1])) {
      std::cerr << "stagegate consumers: no consumer " << args.positional()[1] << '\n';
      return 1;
    }
    std::cout << "forgot consumer " << args.positional()[1]
              << " (it no longer holds back retention or backpressure; restart the gateway to apply)\n";
    return 0;
  }
  throw UsageError("consumers takes list, forget NAME, remove NAME or add NAME --destinations a,b [--observe] --out PREFIX");
}

}  // namespace stagegate::cli

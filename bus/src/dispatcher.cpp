#include "stagegate/bus/dispatcher.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "stagegate/bus/delivery_state.h"
#include "stagegate/bus/wire.h"
#include "stagegate/core/clock.h"
#include "zap_handler.h"  // [bus auth]

namespace stagegate::bus {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string> split_topics(std::string_view text) {
  std::vector<std::string> topics;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto topic = text.substr(0, comma);
    if (!topic.empty()) topics.emplace_back(topic);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return topics;
}

std::string utc_hours_ago(std::chrono::hours hours) {
  return format_utc(std::chrono::system_clock::now() - hours);
}

struct Session {
  std::string identity;  // ZeroMQ routing id
  std::string name;      // empty: observer
  std::string topics_text;
  std::vector<std::string> topics;
  std::size_t window = 1;
  std::uint64_t acknowledged = 0;
  std::uint64_t scanned = 0;  // highest journal sequence examined for this consumer
  std::deque<std::uint64_t> in_flight;
  std::map<std::uint64_t, int> failures;  // known failures after `acknowledged`
  std::set<std::uint64_t> replays_sent;
  SteadyClock::time_point last_heard;
  std::string key;  // [bus auth] the CURVE key that opened it; empty on a plaintext bus
  bool position_dirty = false;
  bool durable() const { return !name.empty(); }
};

}  // namespace

struct Dispatcher::Impl {
  Journal& journal;
  DeliveryOptions options;
  DeliveryState state;
  zmq::context_t context{1};
  zmq::socket_t socket{context, zmq::socket_type::router};
  std::string bound;

  std::unordered_map<std::string, Session> sessions;  // by routing id
  std::map<std::string, std::uint64_t> positions;     // every known durable consumer
  std::atomic<std::uint64_t> committed{0};
  std::atomic<std::uint64_t> slowest{0};
  std::atomic<std::size_t> connected{0};
  std::atomic<std::uint64_t> free_disk{~0ull};
  std::atomic<bool> stopping{false};
  std::thread thread;
  // [bus auth] CURVE and who may connect; both null on a plaintext bus.
  std::shared_ptr<LiveConsumerRegistry> consumers;
  std::unique_ptr<ZapHandler> zap;

  Impl(Journal& j, const std::string& endpoint, DeliveryOptions o)
      : journal(j), options(o), state(DeliveryState::open(j.file())), committed(j.last_sequence()) {
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::sndhwm, 0);  // credit bounds what is queued, not the socket
    socket.set(zmq::sockopt::router_mandatory, true);
    if (options.security) {  // [bus auth] the handler answers before anyone can connect
      consumers = std::make_shared<LiveConsumerRegistry>(ConsumerRegistry::load(options.security->consumers_file));
      zap = std::make_unique<ZapHandler>(context, consumers);
      make_curve_server(socket, options.security->server_secret_key);
    }
    try {
      socket.bind(endpoint);
    } catch (const zmq::error_t& error) {
      throw std::runtime_error("cannot bind bus endpoint " + endpoint + ": " + error.what());
    }
    bound = socket.get(zmq::sockopt::last_endpoint);
    for (const auto& consumer : state.consumers()) positions[consumer.name] = consumer.acknowledged;
    update_slowest();
    measure_disk();
    thread = std::thread([this] { run(); });
  }

  ~Impl() {
    stopping = true;
    thread.join();
    persist_positions();
  }

  // --- sending -------------------------------------------------------------------------

  bool send(const std::string& identity, std::initializer_list<std::string_view> frames) {
    std::vector<zmq::const_buffer> parts;
    parts.push_back(zmq::buffer(identity));
    for (const auto frame : frames) parts.push_back(zmq::buffer(frame));
    try {
      return zmq::send_multipart(socket, parts, zmq::send_flags::dontwait).has_value();
    } catch (const zmq::error_t&) {
      return false;  // EHOSTUNREACH: the consumer is gone; its session times out
    }
  }

  void deliver(Session& session, const JournalEntry& entry, std::string_view kind) {
    const auto sequence = std::to_string(entry.sequence);
    send(session.identity, {frame::kMessage, sequence, entry.topic, entry.payload, kind});
  }

  void fill_window(Session& session) {
    const auto last = committed.load();
    while (session.in_flight.size() < session.window && session.scanned < last) {
      const auto wanted = session.window - session.in_flight.size();
      const auto entries = journal.read_after(session.scanned, wanted, session.topics);
      for (const auto& entry : entries) {
        session.scanned = entry.sequence;
        if (const auto failed = session.failures.find(entry.sequence);
            failed != session.failures.end() && failed->second >= options.max_failures)
          continue;  // dead-lettered: an operator replays it, the stream goes on
        deliver(session, entry, frame::kLive);
        session.in_flight.push_back(entry.sequence);
      }
      if (entries.size() < wanted) session.scanned = std::max(session.scanned, last);
      if (entries.empty()) break;
    }
    // Nothing outstanding: everything scanned is handled (other topics, dead letters).
    if (session.in_flight.empty() && session.scanned > session.acknowledged) advance(session, session.scanned);
  }

  void send_replays(Session& session) {
    if (!session.durable()) return;
    for (const auto sequence : state.replays_for(session.name)) {
      if (session.replays_sent.count(sequence)) continue;
      if (const auto entry = journal.read(sequence, session.topics)) {
        deliver(session, *entry, frame::kReplay);
        session.replays_sent.insert(sequence);
      } else {
        state.replay_done(session.name, sequence);  // retention removed it, or not routed here
      }
    }
  }

  // --- positions and failures ----------------------------------------------------------

  void advance(Session& session, std::uint64_t acknowledged) {
    if (acknowledged <= session.acknowledged) return;
    session.acknowledged = acknowledged;
    session.position_dirty = true;
    if (session.durable()) positions[session.name] = std::max(positions[session.name], acknowledged);
  }

  void persist_positions() {
    std::vector<std::pair<std::string, std::uint64_t>> dirty;
    for (auto& [identity, session] : sessions)
      if (session.durable() && session.position_dirty) {
        dirty.emplace_back(session.name, session.acknowledged);
        session.position_dirty = false;
      }
    try {
      state.save_positions(dirty);
    } catch (const std::exception&) {
      for (auto& [identity, session] : sessions) session.position_dirty = session.durable();  // try again later
    }
    update_slowest();
  }

  void update_slowest() {
    if (positions.empty()) {
      slowest = committed.load();
      return;
    }
    std::uint64_t lowest = ~0ull;
    for (const auto& [name, position] : positions) lowest = std::min(lowest, position);
    slowest = lowest;
  }

  // Counts a failure; at the limit the message becomes a dead letter and is skipped.
  void fail(Session& session, std::uint64_t sequence, const std::string& reason) {
    if (!session.durable()) return;
    const int failures = state.record_failure(session.name, sequence, reason);
    session.failures[sequence] = failures;
    if (failures >= options.max_failures) state.add_dead_letter(session.name, sequence, failures, reason);
  }

  // A consumer that goes away with messages in flight most likely failed on the first.
  void end_session(Session& session, const std::string& why) {
    if (!session.in_flight.empty()) fail(session, session.in_flight.front(), why);
    if (session.durable() && session.position_dirty) state.save_positions({{session.name, session.acknowledged}});
  }

  // --- requests ------------------------------------------------------------------------

  void hello(const std::string& identity, const std::vector<zmq::message_t>& frames) {
    if (auto denied = authorize_hello(consumers.get(), frames)) {  // [bus auth]
      send(identity, {frame::kDenied, *denied});
      std::clog << now_utc() << " bus: denied HELLO: " << *denied << std::endl;
      return;
    }
    if (frames.size() != 6) return;
    Session session;
    session.identity = identity;
    session.name = frames[2].to_string();
    session.topics_text = frames[3].to_string();
    session.topics = split_topics(session.topics_text);
    session.window = std::clamp<std::size_t>(parse_number(frames[4].to_string_view()).value_or(1), 1, options.max_window);
    const auto processed = parse_number(frames[5].to_string_view()).value_or(0);
    session.last_heard = SteadyClock::now();
    session.key = peer_key(frames);  // [bus auth]

    for (auto it = sessions.begin(); it != sessions.end();) {
      if (it->first == identity || (session.durable() && it->second.name == session.name)) {
        end_session(it->second, "consumer reconnected while handling it");
        it = sessions.erase(it);
      } else {
        ++it;
      }
    }
    if (session.durable()) {
      const auto known = state.consumer(session.name);
      session.acknowledged = std::max(known ? known->acknowledged : 0, processed);
      state.save_consumer(ConsumerPosition{session.name, session.topics_text, session.acknowledged, {}, {}});
      positions[session.name] = std::max(positions[session.name], session.acknowledged);
      for (const auto& [sequence, failures] : state.failures_after(session.name, session.acknowledged))
        session.failures[sequence] = failures;
    } else {
      session.acknowledged = processed > 0 ? processed : committed.load();
    }
    session.scanned = session.acknowledged;
    const auto after = std::to_string(session.acknowledged);
    send(identity, {frame::kWelcome, after});
    auto& stored = sessions[identity] = std::move(session);
    send_replays(stored);
    fill_window(stored);
  }

  void acknowledge(Session& session, std::uint64_t sequence) {
    while (!session.in_flight.empty() && session.in_flight.front() <= sequence) session.in_flight.pop_front();
    advance(session, std::min(sequence, session.scanned));
    fill_window(session);
  }

  void refuse_message(Session& session, std::uint64_t sequence, const std::string& reason) {
    fail(session, sequence, reason.empty() ? "refused by the consumer" : reason);
    // Everything before it is handled (consumers handle in order); start again at it.
    while (!session.in_flight.empty() && session.in_flight.front() < sequence) session.in_flight.pop_front();
    if (!session.in_flight.empty()) advance(session, sequence - 1);
    session.in_flight.clear();
    session.scanned = sequence - 1;
    const auto after = std::to_string(session.scanned);
    send(session.identity, {frame::kRewind, after});
    fill_window(session);
  }

  void handle(std::vector<zmq::message_t>& frames) {
    if (frames.size() < 2) return;
    const auto identity = frames[0].to_string();
    const auto command = frames[1].to_string_view();
    if (command == frame::kHello) return hello(identity, frames);
    const auto found = sessions.find(identity);
    if (found == sessions.end()) {
      send(identity, {frame::kWho});
      return;
    }
    auto& session = found->second;
    if (auto denied = authorize_frame(consumers.get(), session.key, frames)) {  // [bus auth]
      send(identity, {frame::kDenied, denied->reason});
      std::clog << now_utc() << " bus: denied " << (session.durable() ? "consumer " + session.name : std::string("observer"))
                << ": " << denied->reason << std::endl;
      if (!denied->revoked) return;
      if (session.durable() && session.position_dirty) state.save_positions({{session.name, session.acknowledged}});
      sessions.erase(found);
      return;
    }
    session.last_heard = SteadyClock::now();
    if (command == frame::kPing) {
      send(identity, {frame::kPong});
      return;
    }
    const std::uint64_t sequence = frames.size() >= 3 ? parse_number(frames[2].to_string_view()).value_or(0) : 0;
    if (sequence == 0) return;
    if (command == frame::kAck) {
      acknowledge(session, sequence);
    } else if (command == frame::kNack) {
      refuse_message(session, sequence, frames.size() >= 4 ? frames[3].to_string() : std::string());
    } else if (command == frame::kReplayAck && session.durable()) {
      state.replay_done(session.name, sequence);
      session.replays_sent.erase(sequence);
    }
  }

  // --- housekeeping --------------------------------------------------------------------

  void expire_sessions() {
    const auto now = SteadyClock::now();
    for (auto it = sessions.begin(); it != sessions.end();) {
      if (now - it->second.last_heard > options.session_timeout) {
        end_session(it->second, "consumer went silent while handling it");
        it = sessions.erase(it);
      } else {
        ++it;
      }
    }
    connected = sessions.size();
  }

  void measure_disk() {
    struct statvfs disk {};
    const auto directory = journal.file().has_parent_path() ? journal.file().parent_path() : std::filesystem::path(".");
    if (statvfs(directory.c_str(), &disk) == 0)
      free_disk = static_cast<std::uint64_t>(disk.f_bavail) * static_cast<std::uint64_t>(disk.f_frsize);
  }

  void apply_retention() {
    try {
      state.prune(positions.empty() ? 0 : slowest.load(), utc_hours_ago(options.keep_payloads), utc_hours_ago(options.keep_receipts));
    } catch (const std::exception&) {
      // Retention is best effort; it runs again next time.
    }
  }

  void run() {
    auto next_persist = SteadyClock::now();
    auto next_housekeeping = SteadyClock::now();
    auto next_retention = SteadyClock::now() + std::chrono::seconds(10);
    std::uint64_t filled_upto = committed.load();
    while (!stopping.load()) {
      zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(10));
      std::vector<zmq::message_t> frames;
      for (int handled = 0; handled < 10000; ++handled) {
        frames.clear();
        if (!zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait)) break;
        handle(frames);
      }
      if (const auto last = committed.load(); last != filled_upto) {
        filled_upto = last;
        for (auto& [identity, session] : sessions) fill_window(session);
      }
      const auto now = SteadyClock::now();
      if (now >= next_persist) {
        persist_positions();
        next_persist = now + std::chrono::milliseconds(200);
      }
      if (now >= next_housekeeping) {
        expire_sessions();
        measure_disk();
        for (auto& [identity, session] : sessions) send_replays(session);
        next_housekeeping = now + std::chrono::seconds(1);
      }
      if (now >= next_retention) {
        apply_retention();
        next_retention = now + std::chrono::minutes(10);
      }
    }
  }
};

Dispatcher::Dispatcher(Journal& journal, const std::string& endpoint, DeliveryOptions options)
    : impl_(std::make_unique<Impl>(journal, endpoint, options)) {}
Dispatcher::~Dispatcher() = default;

std::string Dispatcher::endpoint() const { return impl_->bound; }

void Dispatcher::notify() { impl_->committed = impl_->journal.last_sequence(); }

DeliveryStats Dispatcher::stats() const {
  DeliveryStats stats;
  stats.last_sequence = impl_->committed.load();
  stats.slowest_position = std::min(impl_->slowest.load(), stats.last_sequence);
  stats.backlog = stats.last_sequence - stats.slowest_position;
  stats.connected = impl_->connected.load();
  return stats;
}

Status Dispatcher::admission() const {
  const auto current = stats();
  if (current.backlog >= impl_->options.max_backlog)
    return refuse(Code::Overloaded, "delivery backlog of " + std::to_string(current.backlog) +
                                        " messages has reached the limit; retry later");
  if (impl_->free_disk.load() < impl_->options.min_free_disk_bytes)
    return refuse(Code::Overloaded, "the journal's disk is almost full; retry later");
  return proceed();
}

// [bus auth]
void Dispatcher::replace_consumers(ConsumerRegistry next) {
  if (impl_->consumers) impl_->consumers->replace(std::move(next));
}

}  // namespace stagegate::bus

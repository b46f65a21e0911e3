#include "stagegate/bus/dispatcher.h"
#include "stagegate/core/thread_name.h"

#include <sys/statvfs.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "delivery_frames.h"
#include "delivery_sessions.h"
#include "protocol_log.h"
#include "stagegate/bus/delivery_state.h"
#include "stagegate/bus/wire.h"
#include "stagegate/core/clock.h"
#include "zap_handler.h"  // [bus auth]

namespace stagegate::bus {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::size_t kFramesPerWakeup = 10000;
constexpr auto kLongestSleep = std::chrono::milliseconds(100);

std::string utc_hours_ago(std::chrono::hours hours) {
  return format_utc(std::chrono::system_clock::now() - hours);
}

// Sends without ever blocking the delivery thread: a full queue or a gone peer is "not now".
class SocketOutbox final : public Outbox {
 public:
  explicit SocketOutbox(zmq::socket_t& socket) : socket_(socket) {}
  bool send(const std::string& identity, std::initializer_list<std::string_view> frames) override {
    std::vector<zmq::const_buffer> parts;
    parts.push_back(zmq::buffer(identity));
    for (const auto frame : frames) parts.push_back(zmq::buffer(frame));
    try {
      return zmq::send_multipart(socket_, parts, zmq::send_flags::dontwait).has_value();
    } catch (const zmq::error_t&) {
      return false;  // EHOSTUNREACH: the consumer is gone; its session times out
    }
  }

 private:
  zmq::socket_t& socket_;
};

}  // namespace

struct Dispatcher::Impl {
  Journal& journal;
  DeliveryOptions options;
  DeliveryState state;
  zmq::context_t context{1};
  zmq::socket_t socket{context, zmq::socket_type::router};
  // notify() and the destructor wake the loop through this pair instead of a short poll.
  zmq::socket_t wake_receiver{context, zmq::socket_type::pull};
  zmq::socket_t wake_sender{context, zmq::socket_type::push};
  std::mutex wake_mutex;
  std::string bound;
  ProtocolLog log{std::clog};
  SocketOutbox outbox{socket};
  std::unique_ptr<DeliverySessions> sessions;

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
    // Credit bounds what a healthy consumer has queued (a window); repeated HELLOs may queue
    // a window again. Past this a send would block: the message stays unsent and goes later.
    socket.set(zmq::sockopt::sndhwm, static_cast<int>(2 * options.max_window + 16));
    socket.set(zmq::sockopt::maxmsgsize, limits::kMaxInboundFrameBytes);
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
    const auto wake_endpoint = "inproc://stagegate-dispatcher-wake";
    wake_receiver.bind(wake_endpoint);
    wake_sender.connect(wake_endpoint);
    sessions = std::make_unique<DeliverySessions>(journal, state, outbox, log, options, SteadyClock::now());
    publish_stats();
    measure_disk();
    thread = std::thread([this] {
      name_this_thread("sg-delivery");
      run();
    });
  }

  ~Impl() {
    stopping = true;
    wake();
    thread.join();
    sessions->persist(SteadyClock::now() + std::chrono::hours(1));  // past any backoff: a last try
  }

  void wake() {
    std::lock_guard lock(wake_mutex);
    try {
      wake_sender.send(zmq::message_t(), zmq::send_flags::dontwait);  // full: a wake-up is pending anyway
    } catch (const zmq::error_t&) {
    }
  }

  // --- requests ------------------------------------------------------------------------

  // [bus auth] Which key opened each session: a routing id reused by another key, or a key
  // revoked since, must not act on that session. Entries of ended sessions are dropped once
  // they outnumber the sessions the dispatcher may hold.
  std::unordered_map<std::string, std::string> session_keys;
  void remember_key(const std::string& identity, std::string key) {
    if (session_keys.size() >= 2 * options.max_sessions)
      std::erase_if(session_keys, [&](const auto& entry) { return !sessions->has_session(entry.first); });
    session_keys[identity] = std::move(key);
  }

  void malformed(const std::string& identity, const std::string& what) {
    log.write("dropped a malformed frame from peer " + peer_id(identity) + ": " + what);
  }

  // HELLO name destinations window processed
  void hello(const std::string& identity, const std::vector<zmq::message_t>& frames) {
    if (frames.size() != 6) return malformed(identity, "HELLO with " + std::to_string(frames.size() - 2) + " fields");
    if (!sessions->hello_allowed(identity, frames[2].to_string_view(), SteadyClock::now()))
      return log.write("dropped a HELLO from peer " + peer_id(identity) + ": too many HELLOs");
    if (auto denied = authorize_hello(consumers.get(), frames)) {  // [bus auth]
      outbox.send(identity, {frame::kDenied, *denied});
      return log.write("denied a HELLO from peer " + peer_id(identity) + ": " + escape_field(*denied, 300));
    }
    auto request = parse_hello(frames[2].to_string_view(), frames[3].to_string_view(), frames[4].to_string_view(),
                               frames[5].to_string_view(), options.max_window, committed.load());
    if (!request) return sessions->refuse_request(identity, request.refusal().reason, SteadyClock::now());
    sessions->hello(identity, std::move(request).value(), SteadyClock::now());
    if (consumers && sessions->has_session(identity)) remember_key(identity, peer_key(frames));  // [bus auth]
  }

  void handle(const std::vector<zmq::message_t>& frames) {
    if (frames.size() < 2) return;
    const auto identity = frames[0].to_string();
    const auto command = frames[1].to_string_view();
    const auto now = SteadyClock::now();
    if (command == frame::kHello) return hello(identity, frames);
    const bool takes_sequence = command == frame::kAck || command == frame::kNack || command == frame::kReplayAck;
    if (command != frame::kPing && !takes_sequence)
      return malformed(identity, "unknown command \"" + escape_field(command, 16) + "\" with " + std::to_string(frames.size() - 1) + " frames");
    const std::size_t expected = command == frame::kPing ? 2 : command == frame::kNack ? 4 : 3;
    if (frames.size() != expected)
      return malformed(identity, escape_field(command) + " with " + std::to_string(frames.size() - 2) + " fields");
    std::uint64_t sequence = 0;
    if (takes_sequence) {
      const auto parsed = parse_sequence(frames[2].to_string_view());
      if (!parsed || *parsed == 0)
        return malformed(identity, escape_field(command) + " without a sequence: \"" + escape_field(frames[2].to_string_view(), 24) + "\"");
      sequence = *parsed;
    }
    if (!sessions->heard(identity, now)) return sessions->who(identity, now);
    if (consumers) {  // [bus auth] the key that opened the session, and still registered
      const auto key = session_keys.find(identity);
      if (auto denied = authorize_frame(consumers.get(), key == session_keys.end() ? std::string() : key->second, frames)) {
        outbox.send(identity, {frame::kDenied, denied->reason});
        log.write("denied a frame from peer " + peer_id(identity) + ": " + escape_field(denied->reason, 300));
        if (denied->revoked) {
          sessions->end(identity);
          session_keys.erase(identity);
        }
        return;
      }
    }
    if (sequence > committed.load())
      return sessions->refuse_request(identity, std::string(command) + " " + std::to_string(sequence) +
                                                    " is beyond the journal's last sequence " + std::to_string(committed.load()),
                                      now);
    if (command == frame::kPing) {
      outbox.send(identity, {frame::kPong});
    } else if (command == frame::kAck) {
      sessions->acknowledge(identity, sequence);  // a sequence not in flight to it is ignored
    } else if (command == frame::kNack) {
      const auto reason = frames[3].to_string_view().substr(0, limits::kMaxReasonLength);
      sessions->refuse(identity, sequence, std::string(reason), now);
    } else {
      sessions->replay_handled(identity, sequence, now);
    }
  }

  // --- housekeeping --------------------------------------------------------------------

  void measure_disk() {
    struct statvfs disk {};
    const auto directory = journal.file().has_parent_path() ? journal.file().parent_path() : std::filesystem::path(".");
    if (statvfs(directory.c_str(), &disk) == 0)
      free_disk = static_cast<std::uint64_t>(disk.f_bavail) * static_cast<std::uint64_t>(disk.f_frsize);
  }

  void publish_stats() {
    slowest = sessions->has_known_consumers() ? sessions->slowest() : committed.load();
    connected = sessions->connected();
  }

  void receive_all() {
    std::vector<zmq::message_t> frames;
    for (std::size_t handled = 0; handled < kFramesPerWakeup; ++handled) {
      frames.clear();
      if (!zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait)) break;
      handle(frames);
    }
    zmq::message_t signal;
    while (wake_receiver.recv(signal, zmq::recv_flags::dontwait)) {
    }
  }

  void run() {
    auto next_disk_check = SteadyClock::now();
    auto next_retention = SteadyClock::now() + std::chrono::seconds(10);
    while (!stopping.load()) {
      // Nothing here may end the process: an unexpected error is logged and the loop goes on.
      try {
        zmq::pollitem_t items[] = {{socket.handle(), 0, ZMQ_POLLIN, 0}, {wake_receiver.handle(), 0, ZMQ_POLLIN, 0}};
        zmq::poll(items, 2, kLongestSleep);
        receive_all();
        const auto now = SteadyClock::now();
        sessions->committed(committed.load());
        sessions->tick(now);
        if (now >= next_disk_check) {
          measure_disk();
          next_disk_check = now + std::chrono::seconds(1);
        }
        if (now >= next_retention) {
          sessions->retain(now, utc_hours_ago(options.keep_payloads), utc_hours_ago(options.keep_receipts));
          next_retention = now + std::chrono::minutes(10);
        }
        log.tick(now);
        publish_stats();
      } catch (const std::exception& error) {
        log.write(std::string("delivery loop error (continuing): ") + escape_field(error.what(), 300));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }
};

Dispatcher::Dispatcher(Journal& journal, const std::string& endpoint, DeliveryOptions options)
    : impl_(std::make_unique<Impl>(journal, endpoint, options)) {}
Dispatcher::~Dispatcher() = default;

std::string Dispatcher::endpoint() const { return impl_->bound; }

void Dispatcher::notify() {
  impl_->committed = impl_->journal.last_sequence();
  impl_->wake();
}

DeliveryStats Dispatcher::stats() const {
  DeliveryStats stats;
  stats.last_sequence = impl_->committed.load();
  stats.slowest_position = std::min(impl_->slowest.load(), stats.last_sequence);
  stats.backlog = stats.last_sequence - stats.slowest_position;
  stats.connected = impl_->connected.load();
  stats.storage_error = impl_->sessions->storage_error();
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

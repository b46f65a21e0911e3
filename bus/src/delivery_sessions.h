#pragma once
// The delivery protocol's state, apart from sockets: sessions, credit, positions, failures,
// dead letters and replays. The dispatcher hands it parsed, validated requests and the time
// (a steady clock, injected so tests can drive it); it answers through an Outbox. It never
// throws on a storage error: it logs, backs off, retries and reports (storage_error()).
//
// Failures are counted only for a NACK, or for a session that goes silent (or whose
// connection is replaced under the same name and is never heard from again) while a message
// is in flight; a HELLO itself never counts, so reconnects and HELLO storms poison nothing.
#include <chrono>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "delivery_frames.h"
#include "protocol_log.h"
#include "stagegate/bus/delivery_state.h"
#include "stagegate/bus/dispatcher.h"
#include "stagegate/bus/journal.h"
#include "storage_health.h"

namespace stagegate::bus {

class Outbox {
 public:
  virtual ~Outbox() = default;
  // False when not sent now (the peer's queue is full, or the peer is gone); nothing is queued.
  virtual bool send(const std::string& identity, std::initializer_list<std::string_view> frames) = 0;
};

class DeliverySessions {
 public:
  using Clock = std::chrono::steady_clock;

  // Loads the known consumers' positions; throws std::runtime_error when it cannot (startup).
  DeliverySessions(Journal& journal, DeliveryState& state, Outbox& outbox, ProtocolLog& log, const DeliveryOptions& options,
                   Clock::time_point now);

  // Whether a HELLO from this connection (with this name, if valid) is within the budget:
  // a few per connection and name, then about one a second. Asked before anything else.
  bool hello_allowed(const std::string& identity, std::string_view name, Clock::time_point now);
  void hello(const std::string& identity, HelloRequest request, Clock::time_point now);
  // WHO for a connection without a session, at most a few a second (each frame a flooder
  // sends must not cost a reply).
  void who(const std::string& identity, Clock::time_point now);
  // Any frame from the identity; false when it has no session (the caller answers WHO).
  bool heard(const std::string& identity, Clock::time_point now);
  // Ends the session without counting a failure (its key was revoked); what it acknowledged
  // stays, what it had in flight goes to its next session.
  void end(const std::string& identity);
  bool has_session(const std::string& identity) const { return sessions_.count(identity) > 0; }
  // For a sequence in flight to that session; anything else is ignored (false).
  bool acknowledge(const std::string& identity, std::uint64_t sequence);
  bool refuse(const std::string& identity, std::uint64_t sequence, const std::string& reason, Clock::time_point now);
  bool replay_handled(const std::string& identity, std::uint64_t sequence, Clock::time_point now);

  void committed(std::uint64_t last_sequence);
  // Expiry, resending what a full queue held back, replays, saving positions, retrying storage.
  void tick(Clock::time_point now);
  // Saves positions now when they changed (also on shutdown).
  void persist(Clock::time_point now);
  void retain(Clock::time_point now, const std::string& empty_before, const std::string& delete_before);

  std::uint64_t slowest() const { return slowest_; }  // lowest acknowledged position of a known consumer
  bool has_known_consumers() const { return !positions_.empty(); }
  std::size_t connected() const { return sessions_.size(); }
  std::string storage_error() const { return storage_.error(); }
  // Refuses a request with ERROR and logs it (escaped, rate-limited).
  void refuse_request(const std::string& identity, const std::string& reason, Clock::time_point now);

 private:
  struct Session {
    std::string identity;  // ZeroMQ routing id
    std::string name;      // empty: observer
    std::vector<std::string> topics;
    std::size_t window = 1;
    std::uint64_t acknowledged = 0;
    std::uint64_t scanned = 0;  // highest journal sequence examined for this consumer
    std::deque<std::uint64_t> in_flight;
    std::map<std::uint64_t, int> failures;  // known failures after `acknowledged`
    std::set<std::uint64_t> replays_sent;
    Clock::time_point last_heard;
    bool blocked = false;  // its queue was full or the journal unreadable: try again on the next tick
    bool durable() const { return !name.empty(); }
  };
  // A session replaced by another connection under the same name, holding messages: if
  // that connection is never heard from again, it went away handling the first of them it
  // had not handled. Which one that is, the name's position says once the next process has
  // said HELLO with what it stored: ACKs are cumulative and may be held back (subscriber.h),
  // so the first message in flight may well have been handled.
  struct Ghost {
    std::string identity;
    std::string name;
    std::deque<std::uint64_t> in_flight;
    Clock::time_point last_heard;
  };
  struct Bucket {
    double tokens = 0;
    Clock::time_point refilled;
  };

  bool take_token(std::unordered_map<std::string, Bucket>& buckets, const std::string& key, double capacity,
                  double per_second, Clock::time_point now);
  bool evict_oldest_observer(Clock::time_point now);
  void fill_window(Session& session, Clock::time_point now);
  void send_replays(Session& session, Clock::time_point now);
  void advance(Session& session, std::uint64_t acknowledged);
  void fail(const std::string& name, std::uint64_t sequence, const std::string& reason, Clock::time_point now);
  void expire(Clock::time_point now);
  void update_slowest();
  Session* find(const std::string& identity);

  Journal& journal_;
  DeliveryState& state_;
  Outbox& outbox_;
  ProtocolLog& log_;
  const DeliveryOptions& options_;
  StorageHealth storage_;
  std::uint64_t committed_ = 0;
  std::uint64_t slowest_ = 0;
  std::unordered_map<std::string, Session> sessions_;  // by routing id
  std::deque<Ghost> ghosts_;
  std::map<std::string, std::uint64_t> positions_;  // every known durable consumer
  std::set<std::string> dirty_;                     // positions to save
  std::map<std::string, std::string> registrations_;  // consumers to save (name -> destinations)
  std::unordered_map<std::string, Bucket> hello_by_identity_;
  std::unordered_map<std::string, Bucket> hello_by_name_;
  std::unordered_map<std::string, Bucket> who_by_identity_;
  Bucket hello_overall_;
  Clock::time_point next_persist_{};
  Clock::time_point next_housekeeping_{};
};

}  // namespace stagegate::bus

#include "delivery_sessions.h"

#include <algorithm>

#include "stagegate/bus/wire.h"

namespace stagegate::bus {
namespace {

// HELLO budgets: a consumer says HELLO about once a second at most (wire.h), so these are
// far above what a healthy one needs and far below what makes a flood expensive.
constexpr double kHellosBurstPerConnection = 3;
constexpr double kHellosPerSecondPerConnection = 1;
constexpr double kHellosBurstPerName = 5;
constexpr double kHellosPerSecondPerName = 1;
constexpr double kHellosBurstOverall = 64;
constexpr double kHellosPerSecondOverall = 32;
constexpr double kWhosBurstPerConnection = 5;
constexpr double kWhosPerSecondPerConnection = 5;
constexpr std::size_t kMaxBuckets = 4096;
constexpr auto kPersistEvery = std::chrono::milliseconds(200);
constexpr auto kHousekeepingEvery = std::chrono::seconds(1);

}  // namespace

DeliverySessions::DeliverySessions(Journal& journal, DeliveryState& state, Outbox& outbox, ProtocolLog& log,
                                   const DeliveryOptions& options, Clock::time_point now)
    : journal_(journal), state_(state), outbox_(outbox), log_(log), options_(options), storage_(log),
      committed_(journal.last_sequence()) {
  for (const auto& consumer : state_.consumers()) positions_[consumer.name] = consumer.acknowledged;
  hello_overall_ = Bucket{kHellosBurstOverall, now};
  next_persist_ = now + kPersistEvery;
  next_housekeeping_ = now + kHousekeepingEvery;
  update_slowest();
}

DeliverySessions::Session* DeliverySessions::find(const std::string& identity) {
  const auto found = sessions_.find(identity);
  return found == sessions_.end() ? nullptr : &found->second;
}

void DeliverySessions::refuse_request(const std::string& identity, const std::string& reason, Clock::time_point now) {
  log_.write("refused a request from peer " + peer_id(identity) + ": " + escape_field(reason, 200), now);
  outbox_.send(identity, {frame::kError, reason});
}

// --- HELLO ---------------------------------------------------------------------------

bool DeliverySessions::take_token(std::unordered_map<std::string, Bucket>& buckets, const std::string& key, double capacity,
                                  double per_second, Clock::time_point now) {
  auto found = buckets.find(key);
  if (found == buckets.end()) {
    if (buckets.size() >= kMaxBuckets) {
      // Forget the buckets that are full again: they would allow as much as a new one.
      std::erase_if(buckets, [&](const auto& entry) {
        return entry.second.tokens + std::chrono::duration<double>(now - entry.second.refilled).count() * per_second >= capacity;
      });
      if (buckets.size() >= kMaxBuckets) return false;
    }
    found = buckets.emplace(key, Bucket{capacity, now}).first;
  }
  auto& bucket = found->second;
  bucket.tokens = std::min(capacity, bucket.tokens + std::chrono::duration<double>(now - bucket.refilled).count() * per_second);
  bucket.refilled = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

bool DeliverySessions::hello_allowed(const std::string& identity, std::string_view name, Clock::time_point now) {
  hello_overall_.tokens = std::min(
      kHellosBurstOverall,
      hello_overall_.tokens + std::chrono::duration<double>(now - hello_overall_.refilled).count() * kHellosPerSecondOverall);
  hello_overall_.refilled = now;
  if (hello_overall_.tokens < 1) return false;
  if (!take_token(hello_by_identity_, identity, kHellosBurstPerConnection, kHellosPerSecondPerConnection, now)) return false;
  if (valid_name(name) && !take_token(hello_by_name_, std::string(name), kHellosBurstPerName, kHellosPerSecondPerName, now))
    return false;
  hello_overall_.tokens -= 1;
  return true;
}

bool DeliverySessions::evict_oldest_observer(Clock::time_point now) {
  auto oldest = sessions_.end();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
    if (!it->second.durable() && (oldest == sessions_.end() || it->second.last_heard < oldest->second.last_heard)) oldest = it;
  if (oldest == sessions_.end()) return false;
  refuse_request(oldest->first, "session closed: too many sessions; say HELLO again later", now);
  sessions_.erase(oldest);
  return true;
}

void DeliverySessions::end(const std::string& identity) { sessions_.erase(identity); }

void DeliverySessions::who(const std::string& identity, Clock::time_point now) {
  if (take_token(who_by_identity_, identity, kWhosBurstPerConnection, kWhosPerSecondPerConnection, now))
    outbox_.send(identity, {frame::kWho});
}

void DeliverySessions::hello(const std::string& identity, HelloRequest request, Clock::time_point now) {
  std::erase_if(ghosts_, [&](const Ghost& ghost) { return ghost.identity == identity; });
  Session session;
  session.identity = identity;
  session.name = std::move(request.name);
  session.topics = std::move(request.topics);
  session.window = request.window;
  session.last_heard = now;
  if (session.durable()) {
    const auto known = positions_.find(session.name);
    if (known == positions_.end() && positions_.size() >= options_.max_consumers) {
      refuse_request(identity, "too many named consumers; `stagegate consumers forget` the old ones", now);
      return;
    }
    session.acknowledged = std::max(known == positions_.end() ? 0 : known->second, request.processed);
    try {
      for (const auto& [sequence, failures] : state_.failures_after(session.name, session.acknowledged))
        session.failures[sequence] = failures;
    } catch (const std::exception& error) {
      storage_.failed("reading failures", error.what(), now);
      refuse_request(identity, "the gateway's storage is unavailable; say HELLO again later", now);
      return;
    }
  } else {
    session.acknowledged = request.processed > 0 ? request.processed : committed_;
  }

  // The connection's earlier session, and the name's on another connection, end here; a
  // HELLO is never a message's fault. Another connection that still held a message is
  // remembered: if it is never heard from again, it went away handling that message.
  if (const auto earlier = sessions_.find(identity); earlier != sessions_.end()) sessions_.erase(earlier);
  if (session.durable())
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->second.name != session.name) {
        ++it;
        continue;
      }
      if (!it->second.in_flight.empty()) {
        if (ghosts_.size() >= options_.max_sessions) ghosts_.pop_front();
        ghosts_.push_back(Ghost{it->first, it->second.name, std::move(it->second.in_flight), it->second.last_heard});
      }
      it = sessions_.erase(it);
    }
  if (sessions_.size() >= options_.max_sessions && !evict_oldest_observer(now)) {
    refuse_request(identity, "too many sessions; say HELLO again later", now);
    return;
  }

  if (session.durable()) {
    auto& position = positions_[session.name];
    if (session.acknowledged > position) dirty_.insert(session.name);
    position = std::max(position, session.acknowledged);
    // Registered now (`stagegate consumers list` shows it at once); if the storage refuses,
    // saved later with the positions.
    registrations_[session.name] = request.topics_text;
    if (storage_.may_write(now)) {
      try {
        state_.save_consumer(ConsumerPosition{session.name, request.topics_text, position, {}, {}});
        registrations_.erase(session.name);
        storage_.succeeded(now);
      } catch (const std::exception& error) {
        storage_.failed("registering a consumer", error.what(), now);
      }
    }
    update_slowest();
  }
  session.scanned = session.acknowledged;
  const auto after = std::to_string(session.acknowledged);
  outbox_.send(identity, {frame::kWelcome, after});
  auto& stored = sessions_[identity] = std::move(session);
  send_replays(stored, now);
  fill_window(stored, now);
}

// --- the other requests ----------------------------------------------------------------

bool DeliverySessions::heard(const std::string& identity, Clock::time_point now) {
  // A connection believed gone is alive after all: it did not die handling its message.
  std::erase_if(ghosts_, [&](const Ghost& ghost) { return ghost.identity == identity; });
  auto* session = find(identity);
  if (!session) return false;
  session->last_heard = now;
  return true;
}

bool DeliverySessions::acknowledge(const std::string& identity, std::uint64_t sequence) {
  auto* session = find(identity);
  if (!session || std::find(session->in_flight.begin(), session->in_flight.end(), sequence) == session->in_flight.end())
    return false;
  while (!session->in_flight.empty() && session->in_flight.front() <= sequence) session->in_flight.pop_front();
  advance(*session, sequence);
  // ACK is cumulative: every message in flight up to it is handled (a subscriber sends one
  // frame for many, subscriber.h). Refilled when half the credit is back: one journal read
  // for many entries, not one per ACK (a consumer that keeps up is refilled by each commit).
  if (session->in_flight.size() * 2 <= session->window) fill_window(*session, session->last_heard);
  return true;
}

bool DeliverySessions::refuse(const std::string& identity, std::uint64_t sequence, const std::string& reason,
                              Clock::time_point now) {
  auto* session = find(identity);
  if (!session || std::find(session->in_flight.begin(), session->in_flight.end(), sequence) == session->in_flight.end())
    return false;
  fail(session->name, sequence, reason.empty() ? "refused by the consumer" : reason, now);
  // Everything before it is handled (consumers handle in order); start again at it.
  while (!session->in_flight.empty() && session->in_flight.front() < sequence) session->in_flight.pop_front();
  advance(*session, sequence - 1);
  session->in_flight.clear();
  session->scanned = sequence - 1;
  const auto after = std::to_string(session->scanned);
  outbox_.send(identity, {frame::kRewind, after});
  fill_window(*session, now);
  return true;
}

bool DeliverySessions::replay_handled(const std::string& identity, std::uint64_t sequence, Clock::time_point now) {
  auto* session = find(identity);
  if (!session || !session->durable() || !session->replays_sent.count(sequence)) return false;
  if (!storage_.may_write(now)) return true;  // stays queued; delivered again to the next session
  try {
    state_.replay_done(session->name, sequence);
    session->replays_sent.erase(sequence);
    storage_.succeeded(now);
  } catch (const std::exception& error) {
    storage_.failed("marking a replay handled", error.what(), now);
  }
  return true;
}

// --- delivery --------------------------------------------------------------------------

void DeliverySessions::fill_window(Session& session, Clock::time_point now) {
  const auto last = committed_;
  try {
    while (session.in_flight.size() < session.window && session.scanned < last) {
      const auto wanted = session.window - session.in_flight.size();
      const auto entries = journal_.read_after(session.scanned, wanted, session.topics);
      bool past_last = false;
      for (const auto& entry : entries) {
        // Committed but not yet announced (the reader sees a commit before the committer's
        // notify): sent after the notify, or the consumer's ACK of it would be "beyond the
        // journal" and refused.
        if (entry.sequence > last) {
          past_last = true;
          break;
        }
        if (const auto failed = session.failures.find(entry.sequence);
            failed != session.failures.end() && failed->second >= options_.max_failures) {
          session.scanned = entry.sequence;
          continue;  // dead-lettered: an operator replays it, the stream goes on
        }
        const auto sequence = std::to_string(entry.sequence);
        if (!outbox_.send(session.identity, {frame::kMessage, sequence, entry.topic, entry.payload, frame::kLive})) {
          session.blocked = true;  // not sent: it stays after `scanned` and goes on the next tick
          return;
        }
        session.scanned = entry.sequence;
        session.in_flight.push_back(entry.sequence);
      }
      if (entries.size() < wanted || past_last) session.scanned = std::max(session.scanned, last);
      if (entries.empty() || past_last) break;
    }
  } catch (const std::exception& error) {
    storage_.failed("reading the journal", error.what(), now);
    session.blocked = true;
    return;
  }
  // Nothing outstanding: everything scanned is handled (other destinations, dead letters).
  if (session.in_flight.empty() && session.scanned > session.acknowledged) advance(session, session.scanned);
}

void DeliverySessions::send_replays(Session& session, Clock::time_point now) {
  if (!session.durable()) return;
  try {
    for (const auto sequence : state_.replays_for(session.name)) {
      if (session.replays_sent.count(sequence)) continue;
      if (const auto entry = journal_.read(sequence, session.topics)) {
        const auto number = std::to_string(entry->sequence);
        if (!outbox_.send(session.identity, {frame::kMessage, number, entry->topic, entry->payload, frame::kReplay})) return;
        session.replays_sent.insert(sequence);
      } else if (storage_.may_write(now)) {
        state_.replay_done(session.name, sequence);  // retention removed it, or not routed here
      }
    }
  } catch (const std::exception& error) {
    storage_.failed("reading replays", error.what(), now);
  }
}

// --- positions and failures ------------------------------------------------------------

void DeliverySessions::advance(Session& session, std::uint64_t acknowledged) {
  if (acknowledged <= session.acknowledged) return;
  session.acknowledged = acknowledged;
  if (!session.durable()) return;
  auto& position = positions_[session.name];
  if (acknowledged > position) {
    position = acknowledged;
    dirty_.insert(session.name);
  }
}

void DeliverySessions::fail(const std::string& name, std::uint64_t sequence, const std::string& reason, Clock::time_point now) {
  if (name.empty()) return;  // observers have no failures
  if (!storage_.may_write(now)) {
    log_.write("failure of " + std::to_string(sequence) + " at " + name + " not counted: storage unavailable", now);
    return;  // delivered again: at least once
  }
  int failures = 0;
  try {
    failures = state_.count_failure(name, sequence, reason, options_.max_failures);
    storage_.succeeded(now);
  } catch (const std::exception& error) {
    storage_.failed("counting a failure", error.what(), now);
    return;
  }
  if (failures >= options_.max_failures)
    log_.write("dead letter: " + std::to_string(sequence) + " at " + name + " after " + std::to_string(failures) +
                   " failures, last: " + escape_field(reason, 200),
               now);
  for (auto& [identity, session] : sessions_)
    if (session.name == name) session.failures[sequence] = failures;
}

void DeliverySessions::persist(Clock::time_point now) {
  if (registrations_.empty() && dirty_.empty()) {
    if (storage_.failing() && storage_.may_write(now)) {
      try {
        state_.check_writable();
        storage_.succeeded(now);
      } catch (const std::exception& error) {
        storage_.failed("checking the storage", error.what(), now);
      }
    }
    return;
  }
  if (!storage_.may_write(now)) return;
  try {
    for (const auto& [name, topics] : registrations_) state_.save_consumer(ConsumerPosition{name, topics, positions_[name], {}, {}});
    registrations_.clear();
    std::vector<std::pair<std::string, std::uint64_t>> changed;
    for (const auto& name : dirty_) changed.emplace_back(name, positions_[name]);
    state_.save_positions(changed);
    dirty_.clear();
    storage_.succeeded(now);
  } catch (const std::exception& error) {
    storage_.failed("saving consumers' positions", error.what(), now);
  }
  update_slowest();
}

void DeliverySessions::update_slowest() {
  if (positions_.empty()) {
    slowest_ = committed_;
    return;
  }
  std::uint64_t lowest = ~0ull;
  for (const auto& [name, position] : positions_) lowest = std::min(lowest, position);
  slowest_ = lowest;
}

// --- time ------------------------------------------------------------------------------

void DeliverySessions::committed(std::uint64_t last_sequence) {
  if (last_sequence == committed_) return;
  committed_ = last_sequence;
  for (auto& [identity, session] : sessions_)
    if (!session.blocked) fill_window(session, session.last_heard);
  if (positions_.empty()) slowest_ = committed_;
}

void DeliverySessions::expire(Clock::time_point now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (now - it->second.last_heard > options_.session_timeout) {
      const auto session = std::move(it->second);
      it = sessions_.erase(it);
      // Its first message in flight is the best guess: an ACK it held back when it went
      // silent may have covered that one (subscriber.h), and then the count is of a message
      // the consumer stored (its next HELLO resumes after it, so delivery is unchanged).
      if (!session.in_flight.empty()) fail(session.name, session.in_flight.front(), "consumer went silent while handling it", now);
    } else {
      ++it;
    }
  }
  while (!ghosts_.empty() && now - ghosts_.front().last_heard > options_.session_timeout) {
    const auto ghost = std::move(ghosts_.front());
    ghosts_.pop_front();
    const auto position = positions_[ghost.name];
    const auto unhandled = std::find_if(ghost.in_flight.begin(), ghost.in_flight.end(),
                                        [&](std::uint64_t sequence) { return sequence > position; });
    if (unhandled != ghost.in_flight.end()) fail(ghost.name, *unhandled, "consumer went away while handling it", now);
  }
}

void DeliverySessions::tick(Clock::time_point now) {
  if (now >= next_persist_) {
    persist(now);
    next_persist_ = now + kPersistEvery;
  }
  if (now >= next_housekeeping_) {
    expire(now);
    for (auto& [identity, session] : sessions_) {
      send_replays(session, now);
      if (session.blocked) {  // once a second: a peer that does not read costs little
        session.blocked = false;
        fill_window(session, now);
      }
    }
    next_housekeeping_ = now + kHousekeepingEvery;
  }
}

void DeliverySessions::retain(Clock::time_point now, const std::string& empty_before, const std::string& delete_before) {
  if (!storage_.may_write(now)) return;
  try {
    const auto acknowledged_by_all = positions_.empty() ? 0 : slowest_;
    journal_.forget_recent_through(acknowledged_by_all);  // before: no read may see an emptied entry whole
    state_.prune(acknowledged_by_all, empty_before, delete_before);
    storage_.succeeded(now);
  } catch (const std::exception& error) {
    storage_.failed("applying retention", error.what(), now);
  }
}

}  // namespace stagegate::bus

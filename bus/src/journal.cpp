#include "stagegate/bus/journal.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "recent_entries.h"
#include "schema.h"
#include "stagegate/bus/sqlite.h"
#include "stagegate/core/clock.h"
#include "stagegate/core/thread_name.h"

namespace stagegate::bus {
namespace {

struct PendingAppend {
  const JournalInput* input;  // the caller's (append) or `owned` (append_async)
  std::optional<JournalInput> owned;
  std::promise<Result<Receipt>> waiting;           // append
  std::function<void(Result<Receipt>)> completion;  // append_async
};

JournalEntry entry_from(sqlite::Statement& row) {
  return JournalEntry{static_cast<std::uint64_t>(row.column_int(0)), row.column_text(1), row.column_text(2),
                      row.column_text(3), row.column_text(4), row.column_text(5), row.column_text(6)};
}

// Resets a statement prepared once when its use ends, however it ends.
struct ResetOnExit {
  sqlite::Statement& statement;
  ~ResetOnExit() { statement.reset(); }
};

}  // namespace

struct Journal::Impl {
  std::filesystem::path file;
  JournalOptions options;
  // The writer connection belongs to the committer thread alone.
  sqlite::Database writer;
  sqlite::Statement find_existing;
  sqlite::Statement insert;
  sqlite::Statement insert_route;
  // Prepared once: sqlite3_exec would parse them again for every batch.
  sqlite::Statement begin_batch;
  sqlite::Statement commit_batch;
  bool whole_payload_once = false;  // the compact layout: NULL route payload = the journal's
  // Readers share one connection under a mutex (WAL: they never wait for the writer).
  // Without PRAGMA mmap_size (tried for issue 13, docs/performance.md): delivery reads what
  // was just committed, and those pages sit in the WAL, which SQLite reads with pread64
  // whatever mmap_size says (it maps only the database file; a commit by the writer also
  // empties this connection's page cache). Under load 256 MB of mapping left 3.1-3.3 pread64
  // per message as they were (strace: all but a few on the WAL) and the CPU within noise. And
  // an I/O error on a mapped page is a SIGBUS that ends the gateway (sqlite.org/mmap.html),
  // where a failed pread64 is an error the delivery loop logs and retries.
  sqlite::Database reader;
  mutable std::mutex read_mutex;
  mutable sqlite::Statement read_one;
  mutable sqlite::Statement count_all;
  // Delivery's reads, prepared once: parsing them took about as long as running them.
  mutable sqlite::Statement read_all_after;
  mutable sqlite::Statement read_routed_after;

  // What the committer wrote last, for delivery's reads (recent_entries.h).
  static constexpr std::size_t kRecentEntries = 2048;  // about 6 MB; a consumer further behind reads the file
  RecentEntries recent{kRecentEntries};

  std::atomic<std::uint64_t> last_committed{0};
  // After a failed batch the file is asked again: a COMMIT that reported an I/O error may
  // still have reached the disk, and its sequences must not be handed out twice.
  bool recount_last = false;
  std::mutex queue_mutex;
  std::condition_variable queue_ready;
  std::deque<std::unique_ptr<PendingAppend>> queue;
  int announced = 0;       // Arrivals alive: appends on their way
  bool lingering = false;  // the committer waits for them (commit window)
  bool stopping = false;
  std::function<void(std::uint64_t)> committed_callback;
  // Held while completions are handed to the executor, so complete_on() can wait them out.
  std::mutex executor_mutex;
  CompletionExecutor executor;
  std::thread committer;

  Impl(const std::filesystem::path& f, JournalOptions o)
      : file(f),
        options(o),
        writer(open_journal_writer(f, static_cast<int>(o.page_size))),
        find_existing(writer.get(), "SELECT sequence, received_at FROM journal WHERE sender_id = ?1 AND message_id = ?2"),
        insert(writer.get(),
               "INSERT INTO journal(sequence, received_at, sender_id, message_id, service_id, topic, payload, document) "
               "VALUES (?8, ?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        insert_route(writer.get(), "INSERT INTO routes(destination, sequence, payload) VALUES (?1, ?2, ?3)"),
        begin_batch(writer.get(), "BEGIN IMMEDIATE"),
        commit_batch(writer.get(), "COMMIT"),
        reader(open_journal_database(f)),
        read_one(reader.get(),
                 "SELECT sequence, received_at, sender_id, message_id, service_id, topic, payload FROM journal "
                 "WHERE sequence = ?1"),
        count_all(reader.get(), "SELECT COUNT(*) FROM journal"),
        read_all_after(reader.get(),
                       "SELECT sequence, received_at, sender_id, message_id, service_id, topic, payload FROM journal"
                       " WHERE sequence > ?1 AND payload != '' ORDER BY sequence LIMIT ?2"),  // '': retention
        // One range scan of the (destination, sequence) key per destination, merged by
        // read_after: a single query with GROUP BY would read every later row before the limit.
        read_routed_after(reader.get(),
                          "SELECT j.sequence, j.received_at, j.sender_id, j.message_id, j.service_id, r.destination, "
                          "COALESCE(r.payload, j.payload) FROM routes r JOIN journal j ON j.sequence = r.sequence "
                          "WHERE r.destination = ?3 AND r.sequence > ?1 AND COALESCE(r.payload, j.payload) != '' "
                          "ORDER BY r.sequence LIMIT ?2") {  // NULL: the journal's payload; '': retention
    // Sequences are never reused, and consumers' positions may point at the last one handed
    // out even when retention deleted it: it is the highest of the journal's, the one
    // retention recorded, and (journals before the compact layout) AUTOINCREMENT's.
    whole_payload_once = stores_whole_payload_once(writer.get());
    last_committed = last_handed_out();
    committer = std::thread([this] {
      name_this_thread("sg-journal");
      run();
    });
  }

  std::uint64_t last_handed_out() {
    sqlite::Statement last(writer.get(),
                           "SELECT MAX(COALESCE((SELECT MAX(sequence) FROM journal), 0),"
                           " COALESCE((SELECT last_sequence FROM retired WHERE id = 1), 0),"
                           " COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'journal'), 0))");
    return static_cast<std::uint64_t>(last.scalar());
  }

  ~Impl() {
    {
      std::lock_guard lock(queue_mutex);
      stopping = true;
    }
    queue_ready.notify_all();
    committer.join();
  }

  void run() {
    for (;;) {
      std::vector<std::unique_ptr<PendingAppend>> batch;
      {
        std::unique_lock lock(queue_mutex);
        queue_ready.wait(lock, [this] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping, nothing left
        linger(lock);
        while (!queue.empty() && batch.size() < options.max_batch) {
          batch.push_back(std::move(queue.front()));
          queue.pop_front();
        }
      }
      commit(batch);
    }
  }

  // Messages the workers are verifying arrive one by one, and a commit that starts at the
  // first covers few of them: each fdatasync costs the gateway ~250 us of CPU. While appends
  // are announced and the batch has room, wait for them (up to the commit window); with none
  // on its way (low load, or every writer queued already) commit at once.
  void linger(std::unique_lock<std::mutex>& lock) {
    if (options.commit_window.count() <= 0) return;
    lingering = true;
    queue_ready.wait_for(lock, options.commit_window,
                         [&] { return stopping || announced == 0 || queue.size() >= options.max_batch; });
    lingering = false;
  }

  void arrival_ended() {
    bool wake = false;
    {
      std::lock_guard lock(queue_mutex);
      wake = --announced == 0 && lingering;
    }
    if (wake) queue_ready.notify_one();
  }

  void fail_all(std::vector<std::unique_ptr<PendingAppend>>& batch, std::vector<Result<Receipt>>& results, const std::string& what) {
    // The failure's own text, before ROLLBACK replaces it (a failed COMMIT may already have
    // ended the transaction: "cannot rollback - no transaction is active").
    const auto refusal = refuse(Code::Internal, "journal " + what + ": " + sqlite3_errmsg(writer.get()));
    std::string ignored;
    sqlite::exec(writer.get(), "ROLLBACK", ignored);
    for (std::size_t i = 0; i < batch.size(); ++i) results[i] = refusal;
  }

  bool insert_routes(std::uint64_t sequence, const JournalInput& input) {
    for (const auto& route : input.routes) {
      insert_route.reset();
      // Bound unowned: `input` outlives the step, and reset() below clears the bindings.
      insert_route.bind_unowned(1, route.destination);
      insert_route.bind(2, static_cast<std::int64_t>(sequence));
      // A destination that sees the whole message reads the journal's payload: no copy.
      if (whole_payload_once && route.payload == input.payload) insert_route.bind_null(3);
      else insert_route.bind_unowned(3, route.payload);
      const int inserted = insert_route.step();
      insert_route.reset();
      if (inserted != SQLITE_DONE) return false;
    }
    return true;
  }

  static bool step_once(sqlite::Statement& statement) {
    statement.reset();
    const bool done = statement.step() == SQLITE_DONE;
    statement.reset();
    return done;
  }

  void commit(std::vector<std::unique_ptr<PendingAppend>>& batch) {
    std::vector<Result<Receipt>> results(batch.size(), refuse(Code::Internal, "journal: not committed"));
    if (!step_once(begin_batch)) {
      fail_all(batch, results, "begin");
    } else {
      bool ok = true;
      if (recount_last) {  // inside the transaction: nobody else appends meanwhile
        last_committed = std::max(last_committed.load(), last_handed_out());
        recount_last = false;
      }
      std::uint64_t last = last_committed.load();
      const auto received_at = now_utc();
      for (std::size_t i = 0; ok && i < batch.size(); ++i) {
        const auto& input = *batch[i]->input;
        // A repeat, earlier in this batch or from any time before, gets the first receipt.
        // Looked up before inserting, which would fail on the UNIQUE key and end the batch.
        find_existing.reset();
        // Bound unowned (here and below): `input` outlives each step, reset() clears the bindings.
        find_existing.bind_unowned(1, input.sender_id);
        find_existing.bind_unowned(2, input.message_id);
        const int found = find_existing.step();
        if (found == SQLITE_ROW)
          results[i] = Receipt{static_cast<std::uint64_t>(find_existing.column_int(0)), find_existing.column_text(1), true};
        find_existing.reset();
        if (found == SQLITE_ROW) continue;
        if (found != SQLITE_DONE) {
          ok = false;
          fail_all(batch, results, "lookup");
          break;
        }
        insert.reset();
        insert.bind_unowned(1, received_at);
        insert.bind_unowned(2, input.sender_id);
        insert.bind_unowned(3, input.message_id);
        insert.bind_unowned(4, input.service_id);
        insert.bind_unowned(5, input.topic);
        insert.bind_unowned(6, input.payload);
        insert.bind_unowned(7, input.document);
        // Handed out here, not by SQLite: MAX(rowid) + 1 would reuse the sequences of
        // entries retention deleted.
        const auto sequence = last + 1;
        insert.bind(8, static_cast<std::int64_t>(sequence));
        const int inserted = insert.step();
        insert.reset();
        if (inserted != SQLITE_DONE) {
          ok = false;
          fail_all(batch, results, "insert");
          break;
        }
        if (!insert_routes(sequence, input)) {
          ok = false;
          fail_all(batch, results, "route insert");
          break;
        }
        results[i] = Receipt{sequence, received_at, false};
        last = sequence;
      }
      if (ok && !step_once(commit_batch)) {
        fail_all(batch, results, "commit");
        ok = false;  // it may still have reached the disk: the next batch asks the file
      } else if (ok) {
        // Before last_committed moves: what delivery may read is in `recent` by then.
        remember(batch, results);
        last_committed = last;
      }
      if (!ok) recent.clear();
      recount_last = !ok || last_committed.load() != last;
    }
    if (committed_callback) committed_callback(last_committed.load());
    complete(batch, results);
  }

  void remember(std::vector<std::unique_ptr<PendingAppend>>& batch, const std::vector<Result<Receipt>>& results) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!results[i] || results[i]->duplicate) continue;
      const auto& receipt = results[i].value();
      auto& pending = *batch[i];
      if (!pending.owned) {  // append(): the caller's
        const auto& input = *pending.input;
        recent.committed(JournalEntry{receipt.sequence, receipt.received_at, input.sender_id, input.message_id, input.service_id,
                                      input.topic, input.payload},
                         input.routes);
        continue;
      }
      // append_async(): the journal's own input, done with: moved, not copied.
      auto& input = *pending.owned;
      recent.committed(JournalEntry{receipt.sequence, receipt.received_at, std::move(input.sender_id), std::move(input.message_id),
                                    std::move(input.service_id), std::move(input.topic), std::move(input.payload)},
                       std::move(input.routes));
    }
  }

  void complete(std::vector<std::unique_ptr<PendingAppend>>& batch, std::vector<Result<Receipt>>& results) {
    std::vector<std::function<void()>> completions;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!batch[i]->completion) {
        batch[i]->waiting.set_value(std::move(results[i]));
        continue;
      }
      completions.push_back([completion = std::move(batch[i]->completion), result = std::move(results[i])]() mutable {
        completion(std::move(result));
      });
    }
    if (completions.empty()) return;
    std::lock_guard lock(executor_mutex);
    if (executor) return executor(std::move(completions));
    for (auto& completion : completions) completion();
  }
};

Journal Journal::open(const std::filesystem::path& file, JournalOptions options) {
  return Journal(std::make_unique<Impl>(file, options));
}

Journal::Journal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Journal::~Journal() = default;
Journal::Journal(Journal&&) noexcept = default;
Journal& Journal::operator=(Journal&&) noexcept = default;

Result<Receipt> Journal::append(const JournalInput& input) {
  auto pending = std::make_unique<PendingAppend>();
  pending->input = &input;
  auto done = pending->waiting.get_future();
  {
    std::lock_guard lock(impl_->queue_mutex);
    impl_->queue.push_back(std::move(pending));
  }
  impl_->queue_ready.notify_one();
  return done.get();
}

void Journal::append_async(JournalInput input, std::function<void(Result<Receipt>)> done) {
  auto pending = std::make_unique<PendingAppend>();
  pending->owned = std::move(input);
  pending->input = &*pending->owned;
  pending->completion = std::move(done);
  bool wake = false;
  {
    std::lock_guard lock(impl_->queue_mutex);
    impl_->queue.push_back(std::move(pending));
    // Otherwise the committer takes it with the queue it will see.
    wake = impl_->queue.size() == 1 || (impl_->lingering && impl_->queue.size() >= impl_->options.max_batch);
  }
  if (wake) impl_->queue_ready.notify_one();
}

Journal::Arrival Journal::announce() {
  Arrival arrival;
  if (impl_->options.commit_window.count() <= 0) return arrival;
  std::lock_guard lock(impl_->queue_mutex);
  ++impl_->announced;
  arrival.impl_ = impl_.get();
  return arrival;
}

Journal::Arrival::~Arrival() {
  if (impl_) impl_->arrival_ended();
}

Journal::Arrival& Journal::Arrival::operator=(Arrival&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->arrival_ended();
    impl_ = std::exchange(other.impl_, nullptr);
  }
  return *this;
}

void Journal::complete_on(CompletionExecutor executor) {
  std::lock_guard lock(impl_->executor_mutex);
  impl_->executor = std::move(executor);
}

void Journal::on_commit(std::function<void(std::uint64_t)> callback) {
  std::lock_guard lock(impl_->queue_mutex);
  impl_->committed_callback = std::move(callback);
}

std::vector<JournalEntry> Journal::read_after(std::uint64_t sequence, std::size_t limit,
                                              const std::vector<std::string>& destinations) const {
  std::vector<std::string> names = destinations;
  std::sort(names.begin(), names.end());
  std::vector<JournalEntry> entries;
  if (impl_->recent.read_after(sequence, limit, names, entries)) return entries;
  std::lock_guard lock(impl_->read_mutex);
  if (destinations.empty()) {
    auto& read = impl_->read_all_after;
    const ResetOnExit done{read};  // a statement left stepping would hold its WAL snapshot
    read.reset();
    read.bind(1, static_cast<std::int64_t>(sequence));
    read.bind(2, static_cast<std::int64_t>(limit));
    while (read.next_row()) entries.push_back(entry_from(read));
    return entries;
  }
  std::map<std::uint64_t, JournalEntry> merged;
  auto& read = impl_->read_routed_after;
  const ResetOnExit done{read};
  for (const auto& name : names) {
    read.reset();
    read.bind(1, static_cast<std::int64_t>(sequence));
    read.bind(2, static_cast<std::int64_t>(limit));
    read.bind(3, name);
    while (read.next_row()) {
      auto entry = entry_from(read);
      merged.try_emplace(entry.sequence, std::move(entry));  // names in order: the first keeps it
    }
  }
  for (auto& [at, entry] : merged) {
    if (entries.size() == limit) break;
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::optional<JournalEntry> Journal::read(std::uint64_t sequence, const std::vector<std::string>& destinations) const {
  if (!destinations.empty()) {
    // The same range scans as delivery: the first routed entry from `sequence` on.
    auto entries = read_after(sequence - 1, 1, destinations);
    if (entries.empty() || entries.front().sequence != sequence) return std::nullopt;
    return std::move(entries.front());
  }
  std::lock_guard lock(impl_->read_mutex);
  auto& read = impl_->read_one;
  read.reset();
  read.bind(1, static_cast<std::int64_t>(sequence));
  std::optional<JournalEntry> entry;
  if (read.step() == SQLITE_ROW) entry = entry_from(read);
  read.reset();
  return entry;
}

std::vector<std::string> Journal::destinations(std::uint64_t sequence) const {
  std::lock_guard lock(impl_->read_mutex);
  // Routes are keyed by destination first (delivery's range scans): one seek per destination.
  sqlite::Statement routed(impl_->reader.get(), "SELECT 1 FROM routes WHERE destination = ?1 AND sequence = ?2");
  std::vector<std::string> names;
  for (auto& name : route_destinations(impl_->reader.get())) {
    routed.reset();
    routed.bind(1, name);
    routed.bind(2, static_cast<std::int64_t>(sequence));
    if (routed.next_row()) names.push_back(std::move(name));
  }
  return names;
}

void Journal::forget_recent_through(std::uint64_t sequence) { impl_->recent.forget_through(sequence); }

std::uint64_t Journal::last_sequence() const { return impl_->last_committed.load(); }

std::uint64_t Journal::count() const {
  std::lock_guard lock(impl_->read_mutex);
  return static_cast<std::uint64_t>(impl_->count_all.scalar());
}

const std::filesystem::path& Journal::file() const { return impl_->file; }

}  // namespace stagegate::bus

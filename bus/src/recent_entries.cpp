#include "recent_entries.h"

#include <algorithm>

namespace stagegate::bus {

void RecentEntries::committed(JournalEntry whole, std::vector<Route> routes) {
  std::lock_guard lock(mutex_);
  std::vector<RouteCopy> copies;
  copies.reserve(routes.size());
  for (auto& route : routes) {
    const bool is_whole = route.payload == whole.payload;
    copies.push_back(RouteCopy{std::move(route.destination), is_whole ? std::string() : std::move(route.payload), is_whole});
  }
  if (!entries_.empty() && entries_.back().whole.sequence + 1 != whole.sequence) entries_.clear();
  entries_.push_back(Entry{std::move(whole), std::move(copies)});
  while (entries_.size() > capacity_) entries_.pop_front();
}

void RecentEntries::forget_through(std::uint64_t sequence) {
  std::lock_guard lock(mutex_);
  while (!entries_.empty() && entries_.front().whole.sequence <= sequence) entries_.pop_front();
}

void RecentEntries::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

bool RecentEntries::read_after(std::uint64_t after, std::size_t limit, const std::vector<std::string>& sorted_destinations,
                               std::vector<JournalEntry>& entries) const {
  std::lock_guard lock(mutex_);
  if (entries_.empty() || entries_.front().whole.sequence > after + 1) return false;
  // Sequences in the run follow each other: the first entry after `after` is found by its offset.
  const auto first = entries_.front().whole.sequence;
  auto it = entries_.begin() + static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(after + 1 - first, entries_.size()));
  for (; it != entries_.end() && entries.size() < limit; ++it) {
    if (sorted_destinations.empty()) {
      if (!it->whole.payload.empty()) entries.push_back(it->whole);
      continue;
    }
    // As the database answers: the first of the asked destinations (by name) the entry was
    // routed to, with that destination's payload.
    const RouteCopy* chosen = nullptr;
    for (const auto& route : it->routes)
      if (std::binary_search(sorted_destinations.begin(), sorted_destinations.end(), route.destination) &&
          (!chosen || route.destination < chosen->destination))
        chosen = &route;
    if (!chosen) continue;
    const auto& payload = chosen->whole ? it->whole.payload : chosen->payload;
    if (payload.empty()) continue;
    JournalEntry entry{it->whole.sequence, it->whole.received_at, it->whole.sender_id, it->whole.message_id,
                       it->whole.service_id, chosen->destination, payload};
    entries.push_back(std::move(entry));
  }
  return true;
}

}  // namespace stagegate::bus

#pragma once
// A configuration object that is replaced while requests use it: each request takes a
// snapshot (a shared_ptr) and keeps it to the end, so a reload never changes the rules
// under a request in flight, and the old object lives until its last user lets go.
#include <atomic>
#include <memory>
#include <utility>

namespace stagegate {

template <class T>
class Reloadable {
 public:
  explicit Reloadable(T initial) : current_(std::make_shared<const T>(std::move(initial))) {}
  Reloadable(const Reloadable&) = delete;
  Reloadable& operator=(const Reloadable&) = delete;

  std::shared_ptr<const T> snapshot() const { return current_.load(std::memory_order_acquire); }
  void replace(T next) { current_.store(std::make_shared<const T>(std::move(next)), std::memory_order_release); }

 private:
  std::atomic<std::shared_ptr<const T>> current_;
};

}  // namespace stagegate

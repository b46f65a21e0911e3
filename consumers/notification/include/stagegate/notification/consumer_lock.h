#pragma once
// One `notify consume` per outbox: at startup a consumer takes rows left `sending` as
// interrupted, which is only true when no other process is sending from the same file.
#include <filesystem>

namespace stagegate::notification {

class ConsumerLock {
 public:
  // Throws std::runtime_error when another process holds the lock (or it cannot be made).
  explicit ConsumerLock(const std::filesystem::path& outbox_file);
  ~ConsumerLock();
  ConsumerLock(const ConsumerLock&) = delete;
  ConsumerLock& operator=(const ConsumerLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace stagegate::notification

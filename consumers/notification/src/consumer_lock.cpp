#include "stagegate/notification/consumer_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <stdexcept>

namespace stagegate::notification {

ConsumerLock::ConsumerLock(const std::filesystem::path& outbox_file) {
  if (outbox_file.has_parent_path()) std::filesystem::create_directories(outbox_file.parent_path());
  const auto lock_file = outbox_file.string() + ".lock";
  fd_ = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot open " + lock_file);
  // The kernel releases an flock when its holder dies, SIGKILL included.
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    throw std::runtime_error("another `stagegate notify consume` is running on " + outbox_file.string());
  }
}

ConsumerLock::~ConsumerLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace stagegate::notification

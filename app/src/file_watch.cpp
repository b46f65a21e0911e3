#include "file_watch.h"
#include "stagegate/core/thread_name.h"

#include <sstream>

namespace stagegate::app {
namespace {

void describe(std::ostream& out, const std::filesystem::path& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  out << path.string() << '|';
  if (error || !std::filesystem::exists(status)) {
    out << "absent\n";
    return;
  }
  const auto modified = std::filesystem::last_write_time(path, error).time_since_epoch().count();
  if (std::filesystem::is_directory(status)) {
    out << "dir " << modified << '\n';
    for (const auto& entry : std::filesystem::directory_iterator(path, error)) describe(out, entry.path());
    return;
  }
  out << std::filesystem::file_size(path, error) << ' ' << modified << '\n';
}

}  // namespace

FileWatch::FileWatch(std::vector<std::filesystem::path> paths, std::chrono::milliseconds interval,
                     std::function<void()> on_change)
    : paths_(std::move(paths)), interval_(interval), on_change_(std::move(on_change)) {
  thread_ = std::thread([this] {
    name_this_thread("sg-reload");
    run();
  });
}

FileWatch::~FileWatch() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::string FileWatch::state() const {
  std::ostringstream out;
  for (const auto& path : paths_) describe(out, path);
  return out.str();
}

void FileWatch::run() {
  auto seen = state();
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    auto now = state();
    if (now != seen) {
      seen = std::move(now);
      on_change_();
    }
    lock.lock();
  }
}

}  // namespace stagegate::app

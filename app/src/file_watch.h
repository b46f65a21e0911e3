#pragma once
// Notices that configuration files changed, by polling their size and modification time.
// Polling (not inotify) also sees files replaced by rename, edited over NFS, or
// directories of CRLs gaining a file, and costs a few stat calls a second.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace stagegate::app {

class FileWatch {
 public:
  // `on_change` runs on the watch thread after any watched path changed.
  FileWatch(std::vector<std::filesystem::path> paths, std::chrono::milliseconds interval, std::function<void()> on_change);
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

 private:
  std::string state() const;
  void run();

  std::vector<std::filesystem::path> paths_;
  std::chrono::milliseconds interval_;
  std::function<void()> on_change_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace stagegate::app

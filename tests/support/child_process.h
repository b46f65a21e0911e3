#pragma once
// A child process for tests: started with its output appended to a log file, stopped by
// signal (SIGKILL on destruction), or run to completion for its exit code.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace stagegate::test {

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> arguments, std::filesystem::path log)
      : arguments_(std::move(arguments)), log_(std::move(log)) {}
  ~ChildProcess() { stop(SIGKILL); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void start() {
    if (pid_ > 0) throw std::logic_error("already running: " + arguments_.front());
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> argv;
    for (auto& argument : arguments_) argv.push_back(argument.data());
    argv.push_back(nullptr);
    const int failed = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (failed != 0) {
      pid_ = -1;
      throw std::runtime_error("cannot start " + arguments_.front());
    }
  }
  // The exit status (or 128 + signal) after the signal.
  int stop(int signal) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    return wait();
  }
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  bool running() const { return pid_ > 0; }
  // VmRSS in KiB from /proc, -1 when not running.
  long rss_kib() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
  }

 private:
  std::vector<std::string> arguments_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

// Runs a command to completion: its exit code.
inline int run_to_end(std::vector<std::string> arguments, const std::filesystem::path& log) {
  ChildProcess child(std::move(arguments), log);
  child.start();
  return child.wait();
}

}  // namespace stagegate::test

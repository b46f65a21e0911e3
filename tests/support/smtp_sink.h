#pragma once
// A real SMTP server process on 127.0.0.1 (tests/support/smtp_sink.py, aiosmtpd) writing
// every accepted message as JSON into a mailbox directory the test reads.
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/child_process.h"
#include "support/files.h"

namespace stagegate::test {

struct ReceivedMail {
  std::vector<std::string> to;
  std::string message_id;
  std::string subject;
  std::string body;
};

class SmtpSink {
 public:
  // port 0: any free port (read back from the server); else that port (to start it late).
  SmtpSink(std::filesystem::path dir, int port = 0, int delay_ms = 0)
      : dir_(std::move(dir)),
        process_({"/usr/bin/python3", std::string(STAGEGATE_TEST_SUPPORT) + "/smtp_sink.py", "--dir", (dir_ / "mailbox").string(),
                  "--port", std::to_string(port), "--port-file", (dir_ / "port").string(), "--delay-ms",
                  std::to_string(delay_ms)},
                 dir_ / "smtp.log") {
    std::filesystem::create_directories(dir_ / "mailbox");
    std::filesystem::remove(dir_ / "port");
    process_.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!std::filesystem::exists(dir_ / "port")) {
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("the SMTP sink did not start: " + read_text(dir_ / "smtp.log"));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    port_ = std::stoi(read_text(dir_ / "port"));
  }

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  void kill() { process_.stop(SIGKILL); }

  std::vector<ReceivedMail> mails() const {
    std::set<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir_ / "mailbox"))
      if (entry.path().extension() == ".json") files.insert(entry.path());
    std::vector<ReceivedMail> found;
    for (const auto& file : files) {
      const auto json = nlohmann::json::parse(read_text(file));
      found.push_back({json.at("to").get<std::vector<std::string>>(), json.value("message_id", ""),
                       json.value("subject", ""), json.value("body", "")});
    }
    return found;
  }

  // Waits until at least `count` mails are in the mailbox; the mails then.
  std::vector<ReceivedMail> wait_for(std::size_t count, std::chrono::seconds timeout = std::chrono::seconds(30)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto found = mails();
    while (found.size() < count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      found = mails();
    }
    return found;
  }

 private:
  std::filesystem::path dir_;
  ChildProcess process_;
  int port_ = 0;
};

}  // namespace stagegate::test

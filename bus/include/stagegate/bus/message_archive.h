#pragma once
// A consumer's own durable store of delivered messages (SQLite): the simplest consumer
// there is, used by `stagegate tail --store` and by the crash test. A message is stored at
// most once (by sequence); the last stored sequence is where the consumer resumes.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "stagegate/bus/wire.h"

namespace stagegate::bus {

class MessageArchive {
 public:
  // Creates the file when missing. Throws std::runtime_error.
  static MessageArchive open(const std::filesystem::path& file);
  ~MessageArchive();
  MessageArchive(MessageArchive&&) noexcept;
  MessageArchive& operator=(MessageArchive&&) noexcept;

  // Stores the message (a repeat of a stored sequence is ignored); false when the disk
  // refuses. Committed before it returns: safe to acknowledge afterwards.
  bool store(const BusMessage& message);
  std::uint64_t last_sequence() const;
  std::uint64_t count() const;

 private:
  struct Impl;
  explicit MessageArchive(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::bus

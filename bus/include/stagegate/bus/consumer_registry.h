#pragma once
// Who may use the bus: each consumer's CURVE public key, the name bound to it, the
// destinations it may receive, and whether it may observe whole messages.
//
// The consumers file, one consumer a line ('#' starts a comment line):
//
//   <name> <public-key-z85> <destinations comma-separated, or -> [observe]
//
//   monitoring  Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID  monitoring
//   tail        rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7  -  observe
//
// `observe` allows a HELLO without a name or without destinations (whole messages, names
// and IIN included), and therefore every destination.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stagegate::bus {

struct ConsumerGrant {
  std::string name;
  std::string public_key;  // Z85
  std::vector<std::string> destinations;
  bool observe = false;
};

class ConsumerRegistry {
 public:
  // Throws std::runtime_error naming file:line on any mistake (a bad name or key, a key or
  // name registered twice, an unknown flag), or when the file cannot be read.
  static ConsumerRegistry load(const std::filesystem::path& file);
  static ConsumerRegistry parse(std::string_view text, const std::string& origin);
  static std::string format_line(const ConsumerGrant& grant);

  const ConsumerGrant* find_by_key(std::string_view public_key_z85) const;
  const ConsumerGrant* find_by_name(std::string_view name) const;
  std::size_t size() const { return by_key_.size(); }

 private:
  std::map<std::string, ConsumerGrant, std::less<>> by_key_;
  std::map<std::string, std::string, std::less<>> key_by_name_;
};

// Consumer and destination names: letters, digits, '_', '-', '.'; 1 to 64 characters.
bool valid_consumer_name(std::string_view name);

// Why the consumer holding `grant` may not say HELLO with this name and these
// destinations (comma-separated, as on the wire), or nothing when it may.
std::optional<std::string> hello_refusal(const ConsumerGrant& grant, std::string_view name, std::string_view destinations);

// The registry in force, replaced whole on reload while the ZAP handler and the dispatcher
// keep reading the one they took.
class LiveConsumerRegistry {
 public:
  explicit LiveConsumerRegistry(ConsumerRegistry initial);
  std::shared_ptr<const ConsumerRegistry> current() const;
  void replace(ConsumerRegistry next);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const ConsumerRegistry> current_;
};

}  // namespace stagegate::bus

#pragma once
// The bus's CURVE keys on the command line: `serve`'s --bus-key/--consumers/--bus-plaintext,
// the consumers' --key/--server-key/--plaintext, `keys new` and `consumers add`.
#include <optional>
#include <string>

#include "cli/arguments.h"
#include "cli/defaults.h"
#include "stagegate/bus/dispatcher.h"
#include "stagegate/bus/subscriber.h"

namespace stagegate::cli {

// The options each side accepts, for allow_only().
inline const std::vector<std::string> kServerBusKeyOptions{"bus-key", "consumers", "bus-plaintext"};
inline const std::vector<std::string> kConsumerBusKeyOptions{"key", "server-key", "plaintext"};

// CURVE unless --bus-plaintext (only on a loopback or ipc endpoint). Defaults:
// VAR/bus/gateway.key and VAR/bus/consumers.conf. Throws UsageError when neither is usable.
std::optional<bus::BusSecurity> server_bus_security(const Arguments& args, const Defaults& defaults,
                                                    const std::string& endpoint);

// Fills the consumer's keys: --key FILE (secret; public derived) or VAR/bus/<default_key>.key,
// and --server-key FILE or VAR/bus/gateway.pub. --plaintext leaves them empty.
void apply_consumer_keys(const Arguments& args, const Defaults& defaults, const std::string& default_key,
                         bus::SubscriberConfig& config);

// True for endpoints no other machine can reach: ipc://, inproc://, tcp:// on 127.x, ::1, localhost.
bool loopback_endpoint(const std::string& endpoint);

// Appends a consumer to a consumers file (created 0600 when missing); refuses a name
// already there. Returns the line written.
std::string register_consumer(const std::filesystem::path& consumers_file, const bus::ConsumerGrant& grant);

int add_consumer(int argc, char** argv);  // consumers add NAME --destinations a,b [--observe] --out PREFIX
int remove_consumer(int argc, char** argv);  // consumers remove NAME: its key no longer accepted

// The names in a consumers file (none when it does not exist).
std::vector<std::string> registered_consumers(const std::filesystem::path& consumers_file);

}  // namespace stagegate::cli

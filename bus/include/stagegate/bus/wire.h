#pragma once
// The delivery protocol between the gateway (ZeroMQ ROUTER) and consumers (DEALER).
// Every message is a multipart message whose first frame names it:
//
//   consumer -> gateway
//     HELLO  name topics window processed   name "" is an observer (not remembered, no
//                                            dead letters); topics comma-separated, ""
//                                            for all; window = credit (messages in flight);
//                                            processed = last sequence durably handled
//     ACK    sequence                        everything routed up to it is handled
//     NACK   sequence reason                 refused/failed: redeliver, dead letter at N
//     RACK   sequence                        a replayed message is handled
//     PING                                   liveness, every second when idle
//   gateway -> consumer
//     WELCOME after                          delivery restarts after this sequence
//     MSG    sequence topic payload kind     kind "live" or "replay"
//     REWIND after                           after a NACK: MSGs before this frame are void
//     PONG | WHO                             WHO: the gateway does not know you, say HELLO
//     ERROR reason                           the last request was refused (and not applied):
//                                            a HELLO with a bad name, destinations, window or
//                                            a position beyond the journal, an ACK beyond the
//                                            journal, too many sessions, storage down
//     DENIED reason                          the HELLO is refused (a name not bound to the
//                                            key, a destination not granted to it); no session
//
// The gateway validates every frame (limits below); a malformed one is dropped and logged.
// A consumer says HELLO once until it is welcomed or a second has passed (a WHO per frame
// queued while the gateway was away must not turn into a HELLO each). The gateway drops
// HELLOs beyond a budget per connection, per name and overall (3, 5 and 64, then 1, 1
// and 32 a second)
// and sends at most 5 WHO a second to a connection. A HELLO never counts as a failure of a
// message: only a NACK, or a session that goes silent with the message in flight, does.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace stagegate::bus {

namespace frame {
inline constexpr std::string_view kHello = "HELLO";
inline constexpr std::string_view kAck = "ACK";
inline constexpr std::string_view kNack = "NACK";
inline constexpr std::string_view kReplayAck = "RACK";
inline constexpr std::string_view kPing = "PING";
inline constexpr std::string_view kWelcome = "WELCOME";
inline constexpr std::string_view kMessage = "MSG";
inline constexpr std::string_view kRewind = "REWIND";
inline constexpr std::string_view kPong = "PONG";
inline constexpr std::string_view kWho = "WHO";
inline constexpr std::string_view kError = "ERROR";
inline constexpr std::string_view kDenied = "DENIED";
inline constexpr std::string_view kLive = "live";
inline constexpr std::string_view kReplay = "replay";
}  // namespace frame

// What the gateway accepts; anything beyond is refused (ERROR) or, if malformed, dropped.
namespace limits {
inline constexpr std::size_t kMaxNameLength = 64;         // names and destinations: [A-Za-z0-9._-]
inline constexpr std::size_t kMaxDestinations = 32;
inline constexpr std::size_t kMaxReasonLength = 512;      // a NACK's reason is cut here
inline constexpr std::int64_t kMaxInboundFrameBytes = 64 * 1024;  // ZMQ_MAXMSGSIZE: a peer sending more is disconnected
}  // namespace limits

struct BusMessage {
  std::string topic;
  std::uint64_t sequence = 0;
  std::string payload;
  bool replay = false;  // redelivered by an operator (`stagegate dlq replay`)
};

}  // namespace stagegate::bus

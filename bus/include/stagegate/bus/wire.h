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
//     DENIED reason                          the HELLO is refused (a name not bound to the
//                                            key, a destination not granted to it); no session
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
inline constexpr std::string_view kDenied = "DENIED";
inline constexpr std::string_view kLive = "live";
inline constexpr std::string_view kReplay = "replay";
}  // namespace frame

struct BusMessage {
  std::string topic;
  std::uint64_t sequence = 0;
  std::string payload;
  bool replay = false;  // redelivered by an operator (`stagegate dlq replay`)
};

}  // namespace stagegate::bus

#pragma once
// A consumer speaking the delivery protocol (wire.h) by hand over a real ZeroMQ DEALER,
// for tests that send what bus::Subscriber never would.
#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace stagegate::test {

class RawConsumer {
 public:
  using Frames = std::vector<std::string>;

  explicit RawConsumer(const std::string& endpoint, const std::string& routing_id = {}) {
    socket_.set(zmq::sockopt::linger, 0);
    if (!routing_id.empty()) socket_.set(zmq::sockopt::routing_id, routing_id);
    socket_.connect(endpoint);
  }

  void send(std::initializer_list<std::string_view> frames) {
    std::vector<zmq::const_buffer> parts;
    for (const auto frame : frames) parts.push_back(zmq::buffer(frame));
    zmq::send_multipart(socket_, parts);
  }

  std::optional<Frames> receive(std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(socket_, std::back_inserter(parts), zmq::recv_flags::dontwait)) return std::nullopt;
    Frames frames;
    for (const auto& part : parts) frames.push_back(part.to_string());
    return frames;
  }

  // The next frame set starting with `command` (others are skipped); nothing on timeout.
  std::optional<Frames> expect(std::string_view command, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto frames = receive(left);
      if (frames && !frames->empty() && frames->front() == command) return frames;
    }
  }

  // Everything that arrives until the line is quiet for `quiet`.
  std::vector<Frames> drain(std::chrono::milliseconds quiet) {
    std::vector<Frames> all;
    while (auto frames = receive(quiet)) all.push_back(std::move(*frames));
    return all;
  }

 private:
  zmq::context_t context_{1};
  zmq::socket_t socket_{context_, zmq::socket_type::dealer};
};

}  // namespace stagegate::test

#include "stagegate/bus/dispatcher.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <zmq.hpp>

#include "stagegate/bus/wire.h"

namespace stagegate::bus {

// Plain XPUB fan-out: a subscriber that is away misses what was sent meanwhile (it stays in
// the journal). Acknowledged delivery with replay replaces this (issue 4); the journal-driven
// thread below is already the shape it needs.
struct Dispatcher::Impl {
  Journal& journal;
  zmq::context_t context{1};
  zmq::socket_t socket{context, zmq::socket_type::xpub};
  std::string bound;
  std::atomic<std::uint64_t> published;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable wake;
  bool pending = false;
  std::thread thread;

  Impl(Journal& j, const std::string& endpoint) : journal(j), published(j.last_sequence()) {
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::sndhwm, 100000);
    socket.set(zmq::sockopt::xpub_welcome_msg, std::string(kWelcomeTopic));
    try {
      socket.bind(endpoint);
    } catch (const zmq::error_t& error) {
      throw std::runtime_error("cannot bind bus endpoint " + endpoint + ": " + error.what());
    }
    bound = socket.get(zmq::sockopt::last_endpoint);
    thread = std::thread([this] { run(); });
  }

  ~Impl() {
    stopping = true;
    wake.notify_all();
    thread.join();
  }

  void drain_subscriptions() {
    zmq::message_t subscription;
    while (socket.recv(subscription, zmq::recv_flags::dontwait)) {
    }
  }

  void publish_new_entries() {
    for (;;) {
      const auto entries = journal.read_after(published.load(), 512);
      if (entries.empty()) return;
      for (const auto& entry : entries) {
        const auto sequence = std::to_string(entry.sequence);
        socket.send(zmq::buffer(entry.topic), zmq::send_flags::sndmore);
        socket.send(zmq::buffer(sequence), zmq::send_flags::sndmore);
        socket.send(zmq::buffer(entry.payload), zmq::send_flags::none);
        published = entry.sequence;
      }
    }
  }

  void run() {
    while (!stopping.load()) {
      {
        std::unique_lock lock(mutex);
        wake.wait_for(lock, std::chrono::milliseconds(100), [this] { return pending || stopping.load(); });
        pending = false;
      }
      drain_subscriptions();
      publish_new_entries();
    }
  }
};

Dispatcher::Dispatcher(Journal& journal, const std::string& endpoint)
    : impl_(std::make_unique<Impl>(journal, endpoint)) {}
Dispatcher::~Dispatcher() = default;

std::string Dispatcher::endpoint() const { return impl_->bound; }

void Dispatcher::notify() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->pending = true;
  }
  impl_->wake.notify_one();
}

std::uint64_t Dispatcher::published_sequence() const { return impl_->published.load(); }

}  // namespace stagegate::bus

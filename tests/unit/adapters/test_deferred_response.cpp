// A SendMessage is parsed on a worker, handed on (handle_async) and answered when its outcome
// arrives, from any thread; the response is the one the generated service writes.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "stagegate/adapters/bus_client.h"
#include "stagegate/adapters/soap_server.h"
#include "response_template.h"
#include "sync_channel_service.h"

using namespace stagegate;
using namespace std::chrono_literals;

namespace {

std::string envelope(const std::string& message_id, const std::string& extra_info = "") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:sc=\"http://bip.bee.kz/SyncChannel/v10/Types\"><SOAP-ENV:Body><sc:SendMessage><request><requestInfo><messageId>" +
         message_id + "</messageId>" + extra_info +
         "<serviceId>STAGE_NOTIFICATION</serviceId><messageDate>2026-11-22T10:00:00Z</messageDate><sender><senderId>akimat</senderId>"
         "<password>x</password></sender></requestInfo><requestData><data><d xmlns=\"urn:x\">ok</d></data></requestData></request>"
         "</sc:SendMessage></SOAP-ENV:Body></SOAP-ENV:Envelope>\n";
}

std::string framed(const std::string& body, const std::string& extra_header = "") {
  return "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n" + extra_header + "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The envelope of a response with its timestamps masked: the two paths answer at different moments.
std::string envelope_of(const std::string& response) {
  const auto body = response.substr(response.find("\r\n\r\n") + 4);
  static const std::regex kTime("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
  return std::regex_replace(body, kTime, "TIME");
}

std::string status_line(const std::string& response) { return response.substr(0, response.find("\r\n")); }

class FixedHandler final : public MessageHandler {
 public:
  explicit FixedHandler(Result<Receipt> outcome) : outcome_(std::move(outcome)) {}
  Result<Receipt> handle(const InboundMessage&) override { return outcome_; }

 private:
  Result<Receipt> outcome_;
};

// Keeps every message until the test completes it, from the test's own thread.
class DeferringHandler final : public MessageHandler {
 public:
  Result<Receipt> handle(const InboundMessage&) override { throw std::logic_error("the server hands messages on"); }
  void handle_async(InboundMessage message, Completion done) override {
    {
      std::lock_guard lock(mutex);
      waiting.emplace_back(std::move(message), std::move(done));
    }
    arrived.notify_all();
  }
  bool wait_for(std::size_t count) {
    std::unique_lock lock(mutex);
    return arrived.wait_for(lock, 10s, [&] { return waiting.size() >= count; });
  }
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<std::pair<InboundMessage, Completion>> waiting;
};

// A server with one worker in front of a DeferringHandler.
struct DeferringServer {
  DeferringHandler handler;
  std::unique_ptr<adapters::SoapServer> server;
  DeferringServer() {
    adapters::ServerConfig config;
    config.port = 0;
    config.workers = 1;
    server = std::make_unique<adapters::SoapServer>(handler, config);
    server->start();
  }
  // A SendMessage from a client of its own, answered when the test completes it.
  std::future<adapters::SendReply> send(int number) const {
    const std::string url = "http://127.0.0.1:" + std::to_string(server->port()) + "/";
    return std::async(std::launch::async, [url, number] {
      adapters::OutboundMessage message;
      message.message_id = "m-" + std::to_string(number);
      message.sender_id = "akimat";
      message.password = "x";
      message.document = "<d xmlns=\"urn:x\">" + std::to_string(number) + "</d>";
      return adapters::send_message(url, message, 20);
    });
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(deferred_response)

BOOST_AUTO_TEST_CASE(the_deferred_response_is_the_generated_services_response) {
  const std::string info = "<correlationId>c-7</correlationId>";
  const std::string body = envelope("m-7", info);
  const std::vector<Result<Receipt>> outcomes{Receipt{41, "2026-11-22T10:00:00.000Z", false},
                                              Receipt{9, "2026-11-21T09:00:00.000Z", true},
                                              refuse(Code::SignatureInvalid, "digest mismatch"),
                                              refuse(Code::Overloaded, "delivery backlog has reached the limit")};
  const std::string soap12_body = std::regex_replace(body, std::regex("http://schemas.xmlsoap.org/soap/envelope/"),
                                                     "http://www.w3.org/2003/05/soap-envelope");
  for (const auto& outcome : outcomes)
    for (const auto& request : {body, soap12_body}) {
      FixedHandler handler(outcome);
      adapters::ServerConfig config;
      adapters::SyncChannelService service(handler, config);
      auto served = service.receive(framed(request));
      BOOST_REQUIRE(served.message.has_value());
      BOOST_TEST(served.message->message_id == "m-7");
      BOOST_TEST(served.message->correlation_id == "c-7");
      const auto deferred = service.complete(served.reply_to, outcome);
      // A Content-Encoding sends the request through gSOAP's own HTTP layer and generated serve().
      const auto generated = service.serve_bytes(framed(request, "Content-Encoding: identity\r\n"));
      BOOST_TEST(status_line(deferred) == status_line(generated));
      BOOST_TEST(envelope_of(deferred) == envelope_of(generated));
      if (!outcome) BOOST_TEST(deferred.find(std::string(contract_code(outcome.refusal().code))) != std::string::npos);
      else BOOST_TEST(deferred.find("<correlationId>c-7</correlationId>") != std::string::npos, deferred);
    }
}

// An accepted message is answered from a response captured once from the generated service
// (response_template.cpp): for every shape and for text gSOAP escapes, the bytes are the same.
BOOST_AUTO_TEST_CASE(the_captured_response_is_the_generated_one_for_every_shape_and_text) {
  const std::string soap11 = "http://schemas.xmlsoap.org/soap/envelope/";
  const std::string soap12 = "http://www.w3.org/2003/05/soap-envelope";
  const std::vector<std::string> infos{
      "",
      "<correlationId>c-1</correlationId>",
      "<sessionId>s-1</sessionId>",
      "<correlationId>a&amp;b &lt;c&gt; \"q\" 'a' қазақша</correlationId><sessionId>&gt;&gt;</sessionId>",
      "<correlationId>tab&#x9;and&#xA;newline&#xD;</correlationId>",  // the generated path: gSOAP escapes these
  };
  const std::vector<std::string> message_ids{"m-1", "id&amp;&lt;&gt;Ж"};
  // A SOAP 1.2 request, and one declaring XML Schema of 1999: the response declares what the request did.
  const std::string soap11_schema99 = soap11 + "\" xmlns:xsd=\"http://www.w3.org/1999/XMLSchema";
  // A client's namespace URI of 2 KB: answered by gSOAP itself, not kept as a template.
  const std::string soap11_long_schema = soap11 + "\" xmlns:xsd=\"http://www.w3.org/" + std::string(2000, 'x') + "/XMLSchema";
  for (const auto& version : {soap11, soap12, soap11_schema99, soap11_long_schema})
    for (const auto& message_id : message_ids)
      for (const auto& info : infos)
        for (const bool duplicate : {false, true}) {
          FixedHandler handler(Receipt{41, "2026-11-22T10:00:00.000Z", duplicate});
          adapters::ServerConfig config;
          adapters::SyncChannelService service(handler, config);
          std::string body = envelope(message_id, info);
          body.replace(body.find(soap11), soap11.size(), version);
          auto served = service.receive(framed(body));
          BOOST_REQUIRE_MESSAGE(served.message.has_value(), served.response);
          // Twice: the first answer captures the shape's response, the second renders it.
          for (int round = 0; round < 2; ++round) {
            const auto deferred = service.complete(served.reply_to, Receipt{41, "2026-11-22T10:00:00.000Z", duplicate});
            const auto generated = service.serve_bytes(framed(body, "Content-Encoding: identity\r\n"));
            BOOST_TEST(status_line(deferred) == "HTTP/1.1 200 OK");
            BOOST_TEST(deferred.substr(0, deferred.find("\r\n\r\n")) == generated.substr(0, generated.find("\r\n\r\n")));
            BOOST_TEST(envelope_of(deferred) == envelope_of(generated), info);
          }
        }
}

BOOST_AUTO_TEST_CASE(a_response_that_is_not_a_plain_acceptance_is_not_captured) {
  const auto markers = adapters::ResponseTemplate::markers(false, false);
  const std::string body = "<e>@stagegate-message-id@ @stagegate-response-date@ @stagegate-status-message@ @stagegate-data@</e>";
  const auto head = [](const std::string& status, std::size_t length) {
    return "HTTP/1.1 " + status + "\r\nContent-Type: text/xml\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
  };
  BOOST_TEST(adapters::ResponseTemplate::capture(head("200 OK", body.size()) + body, markers).has_value());
  BOOST_TEST(!adapters::ResponseTemplate::capture(head("500 Internal Server Error", body.size()) + body, markers).has_value());
  BOOST_TEST(!adapters::ResponseTemplate::capture(head("200 OK", body.size() + 1) + body, markers).has_value());
  const std::string repeated = body + "@stagegate-data@";
  BOOST_TEST(!adapters::ResponseTemplate::capture(head("200 OK", repeated.size()) + repeated, markers).has_value());
  const std::string missing = "<e>@stagegate-message-id@</e>";
  BOOST_TEST(!adapters::ResponseTemplate::capture(head("200 OK", missing.size()) + missing, markers).has_value());

  const auto captured = adapters::ResponseTemplate::capture(head("200 OK", body.size()) + body, markers);
  adapters::ResponseValues values;
  values.message_id = "a<b&c>d";
  values.response_date = "T";
  values.status_message = "S";
  values.data = "<r/>";
  BOOST_TEST(adapters::ResponseTemplate::renders(values));
  const std::string expected = "<e>a&lt;b&amp;c&gt;d T S <r/></e>";
  BOOST_TEST(captured->render(values) == head("200 OK", expected.size()) + expected);
  values.message_id = "tab\there";
  BOOST_TEST(!adapters::ResponseTemplate::renders(values));
}

BOOST_AUTO_TEST_CASE(a_request_that_is_not_a_send_message_is_answered_at_once) {
  FixedHandler handler(Receipt{1, "2026-11-22T10:00:00.000Z", false});
  adapters::ServerConfig config;
  adapters::SyncChannelService service(handler, config);
  const auto served = service.receive(framed("<a>not an envelope</a>"));
  BOOST_TEST(!served.message.has_value());
  BOOST_TEST(served.response.find("MALFORMED") != std::string::npos, served.response);
}

BOOST_AUTO_TEST_CASE(one_worker_keeps_many_messages_in_flight_and_each_gets_its_own_answer) {
  DeferringServer fixture;
  auto& handler = fixture.handler;
  constexpr int kClients = 8;
  std::vector<std::future<adapters::SendReply>> replies;
  for (int i = 0; i < kClients; ++i) replies.push_back(fixture.send(i));
  // All eight wait for their outcome at once: the one worker did not wait with the first.
  BOOST_REQUIRE(handler.wait_for(kClients));
  std::vector<std::pair<InboundMessage, Completion>> waiting;
  {
    std::lock_guard lock(handler.mutex);
    waiting = std::move(handler.waiting);
  }
  // Completed from this thread (the journal's committer in the gateway), in reverse order.
  for (auto it = waiting.rbegin(); it != waiting.rend(); ++it) {
    const int number = std::stoi(it->first.message_id.substr(2));
    if (number == 3) it->second(refuse(Code::DataInvalid, "stage unknown"));
    else it->second(Receipt{static_cast<std::uint64_t>(100 + number), "2026-11-22T10:00:00.000Z", false});
  }
  for (int i = 0; i < kClients; ++i) {
    const auto reply = replies[static_cast<std::size_t>(i)].get();
    BOOST_TEST(reply.transport_ok);
    if (i == 3) {
      BOOST_TEST(reply.status_code == "DATA_INVALID");
      continue;
    }
    BOOST_TEST(reply.status_code == "SCSS001");
    BOOST_REQUIRE(reply.sequence.has_value());
    BOOST_TEST(*reply.sequence == static_cast<std::uint64_t>(100 + i));
  }
}

BOOST_AUTO_TEST_CASE(stop_answers_what_is_in_flight) {
  DeferringServer fixture;
  auto& handler = fixture.handler;
  auto reply = fixture.send(1);
  BOOST_REQUIRE(handler.wait_for(1));
  // The commit completes while the server is stopping: its answer still goes out.
  std::thread completer([&handler] {
    std::this_thread::sleep_for(300ms);
    std::lock_guard lock(handler.mutex);
    handler.waiting.front().second(Receipt{5, "2026-11-22T10:00:00.000Z", false});
  });
  fixture.server->stop();
  completer.join();
  const auto answered = reply.get();
  BOOST_TEST(answered.status_code == "SCSS001");
  BOOST_TEST(answered.sequence.value_or(0) == 5u);
}

namespace {

// CPU ticks (1/100 s) the server's reactor thread has used.
long reactor_cpu_ticks() {
  long ticks = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name != "sg-reactor") continue;
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::vector<std::string> values{std::istream_iterator<std::string>(fields), std::istream_iterator<std::string>()};
    ticks += std::stol(values.at(11)) + std::stol(values.at(12));  // utime, stime
  }
  return ticks;
}

}  // namespace

// While a worker has a connection, its socket stays in the reactor's epoll set, disarmed
// (EPOLLONESHOT): a client that hangs up meanwhile must not wake the reactor over and over.
BOOST_AUTO_TEST_CASE(a_client_gone_while_its_message_waits_does_not_keep_the_reactor_busy) {
  DeferringServer fixture;
  auto& handler = fixture.handler;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(fixture.server->port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  const auto request = framed(envelope("m-gone"));
  BOOST_REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  BOOST_REQUIRE(handler.wait_for(1));
  ::close(fd);
  const long before = reactor_cpu_ticks();
  std::this_thread::sleep_for(600ms);
  BOOST_TEST(reactor_cpu_ticks() - before <= 10, "a reactor that spins uses about 60 ticks here");
  // The answer goes to a closed socket; the server serves the next client as before.
  {
    std::lock_guard lock(handler.mutex);
    handler.waiting.front().second(Receipt{1, "2026-11-22T10:00:00.000Z", false});
  }
  auto reply = fixture.send(2);
  BOOST_REQUIRE(handler.wait_for(2));
  {
    std::lock_guard lock(handler.mutex);
    handler.waiting.back().second(Receipt{2, "2026-11-22T10:00:00.000Z", false});
  }
  BOOST_TEST(reply.get().status_code == "SCSS001");
}

BOOST_AUTO_TEST_SUITE_END()

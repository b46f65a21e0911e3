// Clients that hang up: thousands of connections closed mid-request and mid-response
// (FIN and RST) against the real `stagegate serve` process. Before MSG_NOSIGNAL the process
// died of SIGPIPE (exit 141) after about a hundred closes of a GET ?wsdl.
#define BOOST_TEST_MODULE http_abrupt_close
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "support/child_process.h"
#include "support/files.h"
#include "support/http.h"
#include "support/ports.h"
#include "support/temp_dir.h"

using namespace stagegate;
using namespace std::chrono_literals;

namespace {

const std::string kEnvelope =
    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
    "<typ:SendMessage xmlns:typ=\"http://bip.bee.kz/SyncChannel/v10/Types\"><request>"
    "<requestInfo><messageId>m-1</messageId><serviceId>STAGE_NOTIFICATION</serviceId>"
    "<messageDate>2026-11-22T10:00:00Z</messageDate><sender><senderId>dev-provider</senderId>"
    "<password>wrong</password></sender></requestInfo><requestData><data><d xmlns=\"urn:x\">ok</d></data>"
    "</requestData></request></typ:SendMessage></soap:Body></soap:Envelope>";

std::string post(const std::string& body) {
  return "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: \"\"\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Connects, sends `bytes`, and closes at once: with RST when `reset`, else with FIN.
bool send_and_hang_up(int port, const std::string& bytes, bool reset) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return false;
  }
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (reset) {
    const linger abort_on_close{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  }
  ::close(fd);
  return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(thousands_of_hang_ups_end_nothing, *boost::unit_test::timeout(120)) {
  test::TempDir dir("stagegate-hangups");
  const auto var = (dir / "var").string();
  BOOST_REQUIRE_EQUAL(test::run_to_end({STAGEGATE_BINARY, "dev-setup", "--var", var}, dir / "setup.log"), 0);
  const int port = test::free_loopback_port();
  test::ChildProcess gateway({STAGEGATE_BINARY, "serve", "--var", var, "--listen", "127.0.0.1:" + std::to_string(port),
                              "--bus", "tcp://127.0.0.1:*", "--quiet"},
                             dir / "serve.log");
  gateway.start();
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = test::read_text(dir / "serve.log").find("SyncChannel on") != std::string::npos;
    if (!up) std::this_thread::sleep_for(100ms);
  }
  BOOST_REQUIRE_MESSAGE(up, test::read_text(dir / "serve.log"));

  const std::string full_post = post(kEnvelope);
  const std::string shapes[] = {
      "GET /?wsdl HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",  // mid-response: the WSDL is being written
      full_post,                                          // mid-response: a SENDER_AUTH fault
      "GET /?wsdl HTTP/1.1\r\nHost: 12",                  // mid-request: half a head
      full_post.substr(0, full_post.size() / 2),          // mid-request: half a body
  };
  constexpr int kHangUps = 3000;
  int connected = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kHangUps; ++i) connected += send_and_hang_up(port, shapes[i % 4], (i / 4) % 2 == 1);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("hang-ups: %d connections closed mid-request or mid-response (FIN and RST) in %.1f s; %d connected\n",
              kHangUps, seconds, connected);

  BOOST_TEST(connected == kHangUps);  // the gateway never stopped accepting
  BOOST_TEST(gateway.running());
  const auto health = test::http_request(port, "GET", "/health");
  BOOST_TEST(health.status == 200);
  BOOST_TEST(health.body == "ok\n");
  const auto refused = test::http_request(port, "POST", "/", kEnvelope);
  BOOST_TEST(refused.body.find("<errorCode>SENDER_AUTH</errorCode>") != std::string::npos, refused.body);
  BOOST_TEST(gateway.stop(SIGTERM) == 0);  // it was alive all along and stops cleanly
}

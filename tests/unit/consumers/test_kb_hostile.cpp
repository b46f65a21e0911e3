#define BOOST_TEST_MODULE knowledge_base_hostile
// What a hostile or broken client may send the operators' lookup endpoint: it answers with a
// 4xx, never a 200 without both id and ИИН, never crashes, and keeps answering.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <sstream>

#include "kb_fixture.h"
#include "stage_messages.h"
#include "stagegate/knowledge_base/lookup_server.h"

using namespace stagegate;
using namespace stagegate::knowledge_base;

namespace {

constexpr const char* kIin = "920315450126";

// Sends `request` as is and returns the status code of the answer (0: none within 10 s).
int raw_status(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd >= 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return 0;
  }
  for (std::size_t sent = 0; sent < request.size();) {
    const auto n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buffer[4096];
  for (ssize_t n; raw.size() < 12 && (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) raw.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  if (raw.size() < 12 || raw.compare(0, 5, "HTTP/") != 0) {
    BOOST_TEST_MESSAGE("no HTTP answer: " << raw.size() << " bytes");
    return 0;
  }
  return std::stoi(raw.substr(9, 3));
}

struct HostileFixture : test::KnowledgeBaseFixture {
  std::ostringstream captured;
  std::streambuf* previous_clog = std::clog.rdbuf(captured.rdbuf());
  std::filesystem::path operators_file = dir / "kb-operators.conf";
  std::string token = OperatorRegistry::add(operators_file, "aigul");
  OperatorRegistry operators{operators_file};
  std::unique_ptr<LookupServer> server;

  HostileFixture() {
    deliver(test::stage_payload({}));
    LookupConfig config;
    config.port = 0;
    config.requests_per_minute = 100000;
    server = std::make_unique<LookupServer>(config, store, key, operators, calendar);
    server->start();
  }
  ~HostileFixture() {
    server.reset();
    std::clog.rdbuf(previous_clog);
  }
  std::string get(const std::string& target, const std::string& extra_headers = {}) const {
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer " + token + "\r\n" +
           extra_headers + "\r\n";
  }
  int status(const std::string& request) const { return raw_status(server->port(), request); }
  // The server still answers a good request.
  void still_answers() const {
    BOOST_TEST(status(get(std::string("/api/v1/applications/002145678912?iin=") + kIin)) == 200);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(knowledge_base_lookup_hostile, HostileFixture)

BOOST_AUTO_TEST_CASE(malformed_ids_and_iins_are_refused) {
  const std::vector<std::string> targets = {
      "/api/v1/applications/002145678912?iin=920315450126'%20OR%20'1'='1",
      "/api/v1/applications/002145678912'%20OR%201=1--?iin=920315450126",
      "/api/v1/applications/%25?iin=920315450126",
      "/api/v1/applications/002145678912?iin=",
      "/api/v1/applications/002145678912?iin=92031545012",
      "/api/v1/applications/002145678912?iin=9203154501260",
      "/api/v1/applications/002145678912?iin=%00920315450126",
      "/api/v1/applications/../../../etc/passwd?iin=920315450126",
      "/api/v1/applications/002145678912/extra?iin=920315450126",
      "/api/v1/applications/?iin=920315450126",
      "/api/v1/applications/" + std::string(65, '0') + "?iin=920315450126",
      "/api/v1/applications/002145678912?iin=" + std::string(5000, '9'),
  };
  for (const auto& target : targets) {
    const auto code = status(get(target));
    BOOST_TEST((code == 400 || code == 404 || code == 414), target.substr(0, 80) << " -> " << code);
  }
  still_answers();
  BOOST_TEST(captured.str().find("920315450126") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(oversized_and_broken_requests_do_not_bring_it_down) {
  const std::vector<std::string> requests = {
      get("/api/v1/applications/" + std::string(20000, 'a') + "?iin=920315450126"),
      "GET /api/v1/applications/002145678912?iin=920315450126 HTTP/1.1\r\nAuthorization: Bearer " + std::string(100000, 'x') +
          "\r\n\r\n",
      get("/api/v1/applications/002145678912?iin=920315450126", std::string(20000, 'h') + ": v\r\n"),
      std::string("\x00\x01\x02\xff garbage\r\n\r\n", 17),
      "POST /api/v1/applications/002145678912?iin=920315450126 HTTP/1.1\r\nContent-Length: 100000000\r\n\r\nxx",
      "GET /api/v1/applications/002145678912?iin=920315450126 HTTP/9.9\r\n\r\n",
      "GET /api/v1/applications/002145678912?iin=920315450126 HTTP/1.1\r\nAuthorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l\r\n\r\n",
      "GET /api/v1/applications/002145678912?iin=920315450126 HTTP/1.1\r\nAuthorization: Bearer\r\n\r\n",
  };
  for (const auto& request : requests) {
    const auto code = status(request);
    BOOST_TEST_MESSAGE(request.substr(0, 40) << " -> " << code);
    BOOST_TEST((code == 0 || (code >= 400 && code < 500)), request.substr(0, 60) << " -> " << code);
  }
  still_answers();
}

BOOST_AUTO_TEST_CASE(many_wrong_iins_never_find_the_application) {
  int found = 0;
  for (int i = 0; i < 300; ++i) {
    auto iin = std::to_string(920315450000LL + i);
    if (iin == kIin) continue;
    found += status(get("/api/v1/applications/002145678912?iin=" + iin)) == 200;
  }
  BOOST_TEST(found == 0);
  still_answers();
}

BOOST_AUTO_TEST_SUITE_END()

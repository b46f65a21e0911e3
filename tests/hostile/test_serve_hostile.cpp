#define BOOST_TEST_MODULE serve_hostile
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <thread>

#include "support/http.h"
#include "support/temp_dir.h"

// Thousands of abrupt closes against the real `stagegate serve` process, whose SIGPIPE
// disposition is its own: the process must stay alive and keep answering.

using Clock = std::chrono::steady_clock;

namespace {

const std::string kBinary = STAGEGATE_BINARY;
const std::string kSamples = STAGEGATE_SAMPLES;

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct ServeProcess {
  pid_t pid = -1;
  int port = 0;
  ServeProcess(const std::filesystem::path& dir) {
    pid = fork();
    if (pid == 0) {
      const std::string log = (dir / "serve.log").string();
      if (!freopen(log.c_str(), "w", stderr) || chdir(dir.c_str()) != 0) _exit(126);
      execl(kBinary.c_str(), kBinary.c_str(), "serve", "--var", "var", "--listen", "127.0.0.1:0", "--bus", "tcp://127.0.0.1:*",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    const std::regex listening(R"(SyncChannel on http://127\.0\.0\.1:(\d+)/)");
    for (const auto until = Clock::now() + std::chrono::seconds(20); Clock::now() < until && port == 0;) {
      std::smatch match;
      const auto log = read_text(dir / "serve.log");
      if (std::regex_search(log, match, listening)) port = std::stoi(match[1]);
      else std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  bool alive() const { return waitpid(pid, nullptr, WNOHANG) == 0; }
  ~ServeProcess() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  }
};

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) throw std::runtime_error("connect");
  return fd;
}

void send_all(int fd, const std::string& bytes) { ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL); }

void reset_and_close(int fd) {
  const linger abortive{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  ::close(fd);
}

}  // namespace

BOOST_AUTO_TEST_CASE(serve_survives_thousands_of_abrupt_closes, *boost::unit_test::timeout(90)) {
  stagegate::test::TempDir dir{"stagegate-serve-hostile"};
  const std::string in_dir = "cd '" + dir.path().string() + "' && ";
  BOOST_REQUIRE(std::system((in_dir + "'" + kBinary + "' dev-setup --var var >/dev/null 2>&1").c_str()) == 0);
  BOOST_REQUIRE(std::system((in_dir + "'" + kBinary + "' sign --key var/pki/provider.key --cert var/pki/provider.pem '" + kSamples +
                             "/stage.xml' > signed.xml").c_str()) == 0);
  ServeProcess serve(dir.path());
  BOOST_REQUIRE_MESSAGE(serve.port != 0, read_text(dir / "serve.log"));

  const std::string post = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nSOAPAction: \"\"\r\nContent-Length: 4000\r\n\r\n" +
                           std::string(2000, ' ');
  const std::string wsdl = "GET /?wsdl HTTP/1.1\r\nHost: x\r\n\r\n";
  const auto start = Clock::now();
  int closes = 0;
  for (int i = 0; i < 1000; ++i) {
    int fd = connect_to(serve.port);  // partial head
    send_all(fd, post.substr(0, 30));
    (i % 2) ? reset_and_close(fd) : (void)::close(fd);
    fd = connect_to(serve.port);  // partial body
    send_all(fd, post);
    (i % 2) ? reset_and_close(fd) : (void)::close(fd);
    fd = connect_to(serve.port);  // whole request; gone before or while the reply is written
    send_all(fd, wsdl);
    if (i % 2) {
      char first;
      ::recv(fd, &first, 1, 0);
      reset_and_close(fd);
    } else {
      ::close(fd);
    }
    closes += 3;
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  BOOST_TEST(serve.alive(), read_text(dir / "serve.log"));
  const auto health = stagegate::test::http_request(serve.port, "GET", "/health");
  BOOST_TEST(health.status == 200);
  const auto sent_at = Clock::now();
  const auto reply = std::system((in_dir + "'" + kBinary + "' send --url http://127.0.0.1:" + std::to_string(serve.port) +
                                  "/ --sender dev-provider --password dev-password signed.xml > reply.txt").c_str());
  const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent_at);
  BOOST_TEST(reply == 0, read_text(dir / "reply.txt"));
  BOOST_TEST(read_text(dir / "reply.txt").find("status: SCSS001") != std::string::npos);
  BOOST_TEST(serve.alive());
  std::cout << "stagegate serve: " << closes << " abrupt closes in " << took.count()
            << " ms, alive; then a signed SendMessage (stagegate send) answered SCSS001 in " << latency.count() << " ms\n";
}

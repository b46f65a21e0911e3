#pragma once
// Raw HTTP/1.0 over loopback, for tests that must send what no SOAP client would.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace stagegate::test {

struct HttpResponse {
  int status = 0;
  std::string headers;
  std::string body;
};

inline HttpResponse http_request(int port, const std::string& method, const std::string& path,
                                 const std::string& body = {}, const std::string& content_type = "text/xml; charset=utf-8") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error("connect");
  }
  std::string request = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n";
  if (method == "POST")
    request += "Content-Type: " + content_type + "\r\nSOAPAction: \"\"\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  for (std::size_t sent = 0; sent < request.size();) {
    const auto n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buffer[8192];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) raw.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  HttpResponse response;
  const auto split = raw.find("\r\n\r\n");
  response.headers = raw.substr(0, split);
  if (split != std::string::npos) response.body = raw.substr(split + 4);
  if (raw.size() > 12) response.status = std::stoi(raw.substr(9, 3));
  return response;
}

}  // namespace stagegate::test

#include "cli/registry_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace stagegate::cli {
namespace {

struct FileDescriptor {
  int fd;
  explicit FileDescriptor(int descriptor) : fd(descriptor) {}
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
};

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path) {
  throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

// Echo off for as long as it lives, restored even when reading throws.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) throw std::runtime_error("cannot read the terminal's settings");
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd_, TCSAFLUSH, &quiet);
  }
  ~EchoOff() { ::tcsetattr(fd_, TCSAFLUSH, &saved_); }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
};

std::string prompt_without_echo(int tty, const std::string& prompt) {
  std::string line;
  {
    const EchoOff quiet(tty);  // before the prompt: nothing typed after it is ever echoed
    (void)!::write(tty, prompt.data(), prompt.size());
    char c = 0;
    while (::read(tty, &c, 1) == 1 && c != '\n') line += c;
  }
  (void)!::write(tty, "\n", 1);
  return line;
}

}  // namespace

std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::vector<std::string> lines;
  if (!std::filesystem::exists(file)) return lines;
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string first_field(const std::string& line) {
  std::istringstream fields(line.substr(0, line.find('#')));
  std::string field;
  fields >> field;
  return field;
}

std::optional<std::size_t> find_entry(const std::vector<std::string>& lines, const std::string& name) {
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (first_field(lines[i]) == name) return i;
  return std::nullopt;
}

void replace_atomically(const std::filesystem::path& file, const std::vector<std::string>& lines,
                        const std::function<void(const std::filesystem::path&)>& check) {
  const auto temporary = std::filesystem::path(file.string() + ".tmp");
  std::string text;
  for (const auto& line : lines) text += line + '\n';
  {
    const FileDescriptor out(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (out.fd < 0) fail("cannot write", temporary);
    if (::fchmod(out.fd, 0600) != 0) fail("cannot set the mode of", temporary);
    for (std::size_t written = 0; written < text.size();) {
      const auto n = ::write(out.fd, text.data() + written, text.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("cannot write", temporary);
      written += static_cast<std::size_t>(n);
    }
    if (::fsync(out.fd) != 0) fail("cannot sync", temporary);
  }
  try {
    check(temporary);
  } catch (...) {
    std::filesystem::remove(temporary);
    throw;
  }
  if (::rename(temporary.c_str(), file.c_str()) != 0) fail("cannot replace", file);
  const auto directory = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  const FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.fd >= 0) ::fsync(dir.fd);
}

std::string read_password(bool from_stdin) {
  std::string password;
  if (from_stdin) {
    std::getline(std::cin, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
  } else {
    const FileDescriptor tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
    if (tty.fd < 0) throw std::runtime_error("no terminal to read the password from: pipe it with --password-stdin");
    password = prompt_without_echo(tty.fd, "password: ");
    if (prompt_without_echo(tty.fd, "again: ") != password) throw std::runtime_error("the passwords differ");
  }
  if (password.empty()) throw std::runtime_error("empty password");
  return password;
}

}  // namespace stagegate::cli

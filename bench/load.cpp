// Load against a RUNNING gateway (`stagegate serve`), as providers would load it: keep-alive
// HTTP/1.1 connections posting SendMessage envelopes for STAGE_NOTIFICATION, either as fast
// as the gateway answers (closed loop) or at a fixed rate (open loop, --rate), while an
// observer on the bus acknowledges what is delivered. Prints accepted messages/s, latency to
// SCSS001 and to delivery, and what the gateway process spent per message (CPU from
// /proc/PID/stat, syscalls and fsyncs from `perf stat`, peak RSS).
//
// One thread drives every connection with epoll: the generator shares the machine with the
// gateway, so it must cost little CPU per request (it prints its own cost too).
//
// usage: bench_load --url http://127.0.0.1:PORT/ [--connections 32] [--seconds 10] [--rate R]
//          [--warmup 1] [--key var/pki/provider.key --cert var/pki/provider.pem] [--documents 1000]
//          [--sender dev-provider] [--password dev-password] [--sample stage.xml]
//          [--gateway-pid PID [--perf-seconds 3 | --no-perf]] [--bus tcp://... --consumer-key K.key --server-key G.pub]
//
// Syscalls are counted in a separate phase after the measured one (same load, fresh
// connections, --perf-seconds long): perf's syscall tracepoints cost the gateway about
// 100 us of kernel time per message here, which must not be in its CPU and latency figures.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "stagegate/bus/curve_keys.h"
#include "stagegate/bus/subscriber.h"
#include "stagegate/signing/signer.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
  std::string url = "http://127.0.0.1:8080/";
  int connections = 32;
  double seconds = 10;
  double warmup = 1;  // requests scheduled in the first seconds are not in the latency figures
  double rate = 0;    // 0: closed loop
  // The development signer `stagegate dev-setup` makes (run from the repository, as ./ops/run).
  std::string key = "var/pki/provider.key";
  std::string cert = "var/pki/provider.pem";
  int documents = 1000;
  std::string sender = "dev-provider";
  std::string password = "dev-password";
  std::string sample = STAGEGATE_SAMPLES "/stage.xml";
  int gateway_pid = 0;
  double perf_seconds = 3;  // 0: no perf phase (syscalls from /proc/PID/io as a proxy)
  std::string bus;
  std::string consumer_key;
  std::string server_key;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "bench_load: %s\n"
               "usage: bench_load --url http://127.0.0.1:PORT/ [--key var/pki/provider.key --cert var/pki/provider.pem]\n"
               "         [--connections 32] [--seconds 10] [--warmup 1] [--rate MSGS_PER_S] [--documents 1000]\n"
               "         [--sender ID] [--password P] [--sample stage.xml]\n"
               "         [--gateway-pid PID [--perf-seconds 3 | --no-perf]] [--bus tcp://HOST:PORT --consumer-key K.key --server-key G.pub]\n",
               why.c_str());
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    if (name == "--no-perf") {
      options.perf_seconds = 0;
      continue;
    }
    if (i + 1 >= argc) usage(name + " needs a value");
    const std::string value = argv[++i];
    try {
      if (name == "--url") options.url = value;
      else if (name == "--connections") options.connections = std::stoi(value);
      else if (name == "--seconds") options.seconds = std::stod(value);
      else if (name == "--warmup") options.warmup = std::stod(value);
      else if (name == "--rate") options.rate = std::stod(value);
      else if (name == "--key") options.key = value;
      else if (name == "--cert") options.cert = value;
      else if (name == "--documents") options.documents = std::stoi(value);
      else if (name == "--sender") options.sender = value;
      else if (name == "--password") options.password = value;
      else if (name == "--sample") options.sample = value;
      else if (name == "--gateway-pid") options.gateway_pid = std::stoi(value);
      else if (name == "--perf-seconds") options.perf_seconds = std::stod(value);
      else if (name == "--bus") options.bus = value;
      else if (name == "--consumer-key") options.consumer_key = value;
      else if (name == "--server-key") options.server_key = value;
      else usage("unknown option " + name);
    } catch (const std::logic_error&) {
      usage("bad value for " + name + ": " + value);
    }
  }
  // The gateway's public key beside the consumer's, as var/bus/ lays them out.
  if (!options.consumer_key.empty() && options.server_key.empty())
    options.server_key = (std::filesystem::path(options.consumer_key).parent_path() / "gateway.pub").string();
  if (options.connections < 1 || options.documents < 1 || options.seconds <= 0) usage("bad counts");
  if (options.warmup >= options.seconds) options.warmup = 0;
  if (!options.bus.empty() && options.consumer_key.empty()) usage("--bus needs --consumer-key (and --server-key, default beside it)");
  return options;
}

// ---------------------------------------------------------------------------------------------
// Requests: distinct signed documents, each wrapped once; only the fixed-width messageId
// is patched per request (the signature covers requestData's document, not requestInfo).

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string without_xml_declaration(std::string document) {
  const auto start = document.find('<');
  if (start != std::string::npos && document.compare(start, 5, "<?xml") == 0) document.erase(0, document.find("?>", start) + 2);
  return document;
}

std::string utc_now_text() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

struct Target {
  std::string host;
  std::string port;
  std::string path;
};

Target parse_url(const std::string& url) {
  if (!url.starts_with("http://")) usage("only http:// URLs: " + url);
  const auto rest = url.substr(7);
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  const auto colon = authority.rfind(':');
  Target target{authority.substr(0, colon), colon == std::string::npos ? "80" : authority.substr(colon + 1),
                slash == std::string::npos ? "/" : rest.substr(slash)};
  return target;
}

constexpr std::size_t kCounterDigits = 10;

struct RequestTemplate {
  std::string bytes;        // the whole HTTP request
  std::size_t counter_at;   // where the messageId's counter digits start
};

std::vector<RequestTemplate> make_requests(const Options& options, const Target& target, const std::string& run_nonce) {
  const std::string sample = read_file(options.sample);
  const std::string application = "<applicationId>002145678912</applicationId>";
  if (sample.find(application) == std::string::npos) throw std::runtime_error("the sample has no applicationId 002145678912");
  const std::string message_date = utc_now_text();
  std::vector<RequestTemplate> requests;
  requests.reserve(static_cast<std::size_t>(options.documents));
  for (int i = 0; i < options.documents; ++i) {
    // Distinct documents: another application number each (12 digits, as in ИИС ЦОН).
    char number[16];
    std::snprintf(number, sizeof number, "0021%08d", i);
    std::string document = sample;
    document.replace(document.find(application), application.size(), std::string("<applicationId>") + number + "</applicationId>");
    auto signed_document = stagegate::signing::sign_enveloped(document, options.key, options.cert);
    if (!signed_document) throw std::runtime_error("signing failed: " + signed_document.refusal().reason);
    const std::string prefix =
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
        "<t:SendMessage xmlns:t=\"http://bip.bee.kz/SyncChannel/v10/Types\"><request><requestInfo><messageId>" +
        run_nonce;
    const std::string body = prefix + std::string(kCounterDigits, '0') + "</messageId><serviceId>STAGE_NOTIFICATION</serviceId><messageDate>" +
                             message_date + "</messageDate><sender><senderId>" + options.sender + "</senderId><password>" +
                             options.password + "</password></sender></requestInfo><requestData><data>" +
                             without_xml_declaration(signed_document.value()) +
                             "</data></requestData></request></t:SendMessage></s:Body></s:Envelope>";
    const std::string head = "POST " + target.path + " HTTP/1.1\r\nHost: " + target.host + ":" + target.port +
                             "\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: \"\"\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n";
    requests.push_back(RequestTemplate{head + body, head.size() + prefix.size()});
  }
  return requests;
}

// ---------------------------------------------------------------------------------------------
// The gateway process, read from /proc (all its threads)

struct ProcessSample {
  bool valid = false;  // the process was there
  double cpu_seconds = 0;  // user + kernel
  double user_seconds = 0;
  std::uint64_t syscr = 0, syscw = 0, write_bytes = 0;
  bool io = false;
};

ProcessSample sample_process(int pid) {
  if (pid == 0) return {};
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return {};
  // Fields after the command (which may contain spaces and parentheses): state is field 3,
  // utime 14, stime 15 (proc(5)), in clock ticks.
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::vector<std::string> values;
  for (std::string value; fields >> value;) values.push_back(value);
  if (values.size() < 13) return {};
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  ProcessSample sample;
  sample.valid = true;
  sample.user_seconds = std::stod(values[11]) / tick;
  sample.cpu_seconds = sample.user_seconds + std::stod(values[12]) / tick;
  std::ifstream io("/proc/" + std::to_string(pid) + "/io");
  for (std::string key; io >> key;) {
    std::uint64_t value = 0;
    io >> value;
    if (key == "syscr:") sample.syscr = value, sample.io = true;
    if (key == "syscw:") sample.syscw = value;
    if (key == "write_bytes:") sample.write_bytes = value;
  }
  return sample;
}

// VmHWM and VmRSS in kB.
std::pair<long, long> process_memory(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  long hwm = 0, rss = 0;
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) hwm = std::atol(line.c_str() + 6);
    if (line.starts_with("VmRSS:")) rss = std::atol(line.c_str() + 6);
  }
  return {hwm, rss};
}

// Busy share of the whole machine (all cores) between two samples of /proc/stat.
struct MachineSample {
  std::uint64_t busy = 0, total = 0;
};
MachineSample sample_machine() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  stat >> cpu;
  MachineSample sample;
  for (int field = 0; field < 8; ++field) {
    std::uint64_t value = 0;
    stat >> value;
    sample.total += value;
    if (field != 3 && field != 4) sample.busy += value;  // idle and iowait are not busy
  }
  return sample;
}

// Microseconds some runnable task waited for a core (PSI, /proc/pressure/cpu "some ... total=");
// nothing when the kernel has no PSI.
std::optional<std::uint64_t> cpu_pressure_us() {
  std::ifstream pressure("/proc/pressure/cpu");
  std::string line;
  if (!std::getline(pressure, line)) return std::nullopt;
  const auto at = line.find("total=");
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(line.c_str() + at + 6, nullptr, 10);
}

double own_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// `perf stat` attached to the gateway for the run: counts syscalls by tracepoint. Started
// before the load and stopped (SIGINT, so it prints) after delivery drained.
class PerfStat {
 public:
  PerfStat(int pid, std::filesystem::path output) : output_(std::move(output)) {
    for (const char* event : {"fsync", "fdatasync", "futex", "read", "write", "pwrite64", "writev", "sendto", "sendmsg",
                              "recvfrom", "epoll_wait", "epoll_pwait", "poll", "ppoll", "pread64"})
      if (std::filesystem::exists(std::filesystem::path("/sys/kernel/tracing/events/syscalls") / (std::string("sys_enter_") + event)))
        events_ += std::string(",syscalls:sys_enter_") + event;
    const std::string events = "raw_syscalls:sys_enter,context-switches" + events_;
    const std::string pid_text = std::to_string(pid);
    const std::string output_text = output_.string();
    std::vector<std::string> arguments{"perf", "stat", "-x", ",", "-o", output_text, "-e", events, "-p", pid_text};
    std::vector<char*> argv;
    for (auto& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&perf_pid_, "perf", &actions, nullptr, argv.data(), environ) != 0) perf_pid_ = 0;
    posix_spawn_file_actions_destroy(&actions);
    // perf needs a moment to attach to every thread; the load must not start before.
    if (perf_pid_ != 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ~PerfStat() { stop(); }
  PerfStat(const PerfStat&) = delete;
  PerfStat& operator=(const PerfStat&) = delete;

  // Counts by event name; empty when perf did not run or could not attach.
  std::map<std::string, double> stop() {
    std::map<std::string, double> counts;
    if (perf_pid_ == 0) return counts;
    ::kill(perf_pid_, SIGINT);
    int status = 0;
    ::waitpid(perf_pid_, &status, 0);
    perf_pid_ = 0;
    std::ifstream output(output_);
    for (std::string line; std::getline(output, line);) {
      // CSV: value,unit,event,...; "<not counted>" and comments are skipped.
      std::vector<std::string> cells;
      std::stringstream row(line);
      for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
      if (cells.size() < 3 || cells[0].empty() || !std::isdigit(static_cast<unsigned char>(cells[0][0]))) continue;
      counts[cells[2]] = std::stod(cells[0]);
    }
    std::filesystem::remove(output_);
    return counts;
  }

 private:
  std::filesystem::path output_;
  std::string events_;
  pid_t perf_pid_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The delivery observer: records when each journal sequence arrived.

struct Delivery {
  std::uint64_t sequence;
  std::int64_t at_ns;
};

class Observer {
 public:
  explicit Observer(const Options& options) {
    stagegate::bus::SubscriberConfig config;
    config.endpoint = options.bus;
    config.window = 1024;
    config.secret_key = stagegate::bus::read_secret_key(options.consumer_key);
    config.public_key = stagegate::bus::derive_public_key(config.secret_key);
    if (!options.server_key.empty()) config.server_public_key = stagegate::bus::read_public_key(options.server_key);
    subscriber_ = std::make_unique<stagegate::bus::Subscriber>(config);
    if (!subscriber_->wait_ready(std::chrono::seconds(10)))
      throw std::runtime_error("the bus observer was not welcomed: " + subscriber_->last_error());
    thread_ = std::thread([this] { run(); });
  }
  ~Observer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  std::size_t count() const { return count_.load(); }
  // What arrived so far; the observer keeps acknowledging (a later phase loads the same bus).
  std::vector<Delivery> take() {
    const std::lock_guard lock(mutex_);
    return std::exchange(deliveries_, {});
  }
  // Until `expected` messages have arrived, or nothing has for 3 s.
  void drain(std::size_t expected) const {
    auto last_count = count();
    auto last_progress = Clock::now();
    while (count() < expected && Clock::now() - last_progress < std::chrono::seconds(3)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (count() != last_count) last_count = count(), last_progress = Clock::now();
    }
  }

 private:
  void run() {
    while (!stop_) {
      auto message = subscriber_->receive(std::chrono::milliseconds(100));
      if (!message) continue;
      const Delivery delivery{message->sequence, now_ns()};
      {
        const std::lock_guard lock(mutex_);
        deliveries_.push_back(delivery);
      }
      count_.fetch_add(1);
      // No acknowledge(): an observer (no name) acknowledges each message as it receives it.
    }
  }

  std::unique_ptr<stagegate::bus::Subscriber> subscriber_;
  std::mutex mutex_;
  std::vector<Delivery> deliveries_;
  std::atomic<std::size_t> count_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// HTTP load over epoll

class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() { reset(); }
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

struct Sent {
  std::uint64_t sequence;
  std::int64_t at_ns;  // the intended send time (open loop: the schedule's, not the actual)
};

struct Connection {
  FileDescriptor fd;
  std::string out;
  std::size_t out_sent = 0;
  std::string in;
  bool busy = false;
  bool want_write = false;
  std::int64_t intended_ns = 0;
};

class LoadGenerator {
 public:
  // first_counter: where this generator's messageIds start (a later phase must not repeat them).
  LoadGenerator(const Options& options, const std::vector<RequestTemplate>& requests, std::uint64_t first_counter = 0)
      : options_(options), requests_(requests), epoll_(::epoll_create1(EPOLL_CLOEXEC)), counter_(first_counter), first_counter_(first_counter) {
    if (epoll_.get() < 0) throw std::runtime_error("epoll_create1");
    const Target target = parse_url(options.url);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(target.host.c_str(), target.port.c_str(), &hints, &found) != 0 || !found)
      throw std::runtime_error("cannot resolve " + target.host);
    std::memcpy(&address_, found->ai_addr, found->ai_addrlen);
    address_length_ = found->ai_addrlen;
    ::freeaddrinfo(found);
    connections_.resize(static_cast<std::size_t>(options.connections));
    for (std::size_t i = 0; i < connections_.size(); ++i) open(i);
  }

  void run() {
    const std::int64_t start = now_ns();
    start_ns_ = start;
    const std::int64_t end = start + static_cast<std::int64_t>(options_.seconds * 1e9);
    measure_from_ns_ = start + static_cast<std::int64_t>(options_.warmup * 1e9);
    end_ns_ = end;
    // Open loop: request k is due at start + k * interval. The schedule is arithmetic, so
    // nothing wakes this thread for a due request while every connection is busy: it is
    // sent (with its due time) when an answer frees one.
    const double interval_ns = options_.rate > 0 ? 1e9 / options_.rate : 0;
    const auto due_at = [&](std::uint64_t k) { return start + static_cast<std::int64_t>(static_cast<double>(k) * interval_ns); };
    const auto scheduled_total = static_cast<std::uint64_t>(options_.seconds * options_.rate);
    std::uint64_t next = 0;  // the next request of the schedule
    std::vector<epoll_event> events(connections_.size());
    for (;;) {
      const std::int64_t now = now_ns();
      const bool sending = now < end;
      if (sending && options_.rate > 0) {
        const auto due = std::min(scheduled_total, static_cast<std::uint64_t>(static_cast<double>(now - start) / interval_ns) + 1);
        if (due > next) max_queue_ = std::max<std::size_t>(max_queue_, due - next);
        for (std::optional<std::size_t> i; next < due && (i = take_idle());) send_next(*i, due_at(next++));
      } else if (sending) {
        for (std::optional<std::size_t> i; (i = take_idle());) send_next(*i, now_ns());
      } else {
        unsent_ = scheduled_total > next ? scheduled_total - next : 0;
        if (in_flight_ == 0) break;
        if (now > end + 30'000'000'000LL) {  // answers that never come are errors, not a hang
          errors_["no answer within 30 s"] += in_flight_;
          break;
        }
      }
      timespec timeout{0, 100'000'000};
      if (sending && options_.rate > 0 && !idle_.empty() && next < scheduled_total) {
        const auto wait = std::max<std::int64_t>(0, std::min(due_at(next), end) - now_ns());
        timeout = timespec{static_cast<time_t>(wait / 1'000'000'000), static_cast<long>(wait % 1'000'000'000)};
      }
      const int ready = ::epoll_pwait2(epoll_.get(), events.data(), static_cast<int>(events.size()), &timeout, nullptr);
      if (ready < 0 && errno != EINTR) throw std::runtime_error("epoll_pwait2");
      for (int e = 0; e < ready; ++e) {
        const auto i = static_cast<std::size_t>(events[static_cast<std::size_t>(e)].data.u64);
        const auto flags = events[static_cast<std::size_t>(e)].events;
        if (flags & EPOLLOUT) flush(i);
        // flush() may have closed it (the peer reset the connection).
        if ((flags & (EPOLLIN | EPOLLERR | EPOLLHUP)) && connections_[i].fd.get() >= 0) receive(i);
      }
      // Closed connections are opened again (the gateway may close a keep-alive connection).
      if (sending)
        for (const auto i : closed_) open(i);
      closed_.clear();
    }
    finished_ns_ = now_ns();
  }

  std::int64_t start_ns() const { return start_ns_; }
  std::int64_t measure_from_ns() const { return measure_from_ns_; }
  std::int64_t end_ns() const { return end_ns_; }
  std::int64_t finished_ns() const { return finished_ns_; }
  std::uint64_t sent() const { return counter_ - first_counter_; }
  std::uint64_t next_counter() const { return counter_; }
  std::uint64_t accepted() const { return accepted_; }
  std::uint64_t accepted_in_window() const { return accepted_in_window_; }
  std::uint64_t duplicates() const { return duplicates_; }
  std::size_t max_queue() const { return max_queue_; }
  std::size_t unsent() const { return unsent_; }
  const std::map<std::string, std::uint64_t>& errors() const { return errors_; }
  std::vector<std::int64_t>& latencies() { return latencies_; }
  std::vector<Sent>& sent_log() { return sent_log_; }

 private:
  void open(std::size_t i) {
    FileDescriptor fd(::socket(address_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) throw std::runtime_error("socket");
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address_), address_length_) != 0 && errno != EINPROGRESS) {
      ++errors_[std::string("connect: ") + std::strerror(errno)];
      return;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = i;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd.get(), &event) != 0) throw std::runtime_error("epoll_ctl");
    connections_[i] = Connection{};
    connections_[i].fd = std::move(fd);
    idle_.push_back(i);
  }

  // A free open connection, the one idle longest: used in turn, no connection sits idle into
  // the gateway's keep-alive timeout (5 s), whose close races a request sent at that moment
  // (a reset). The queue may hold stale entries (a connection closed and opened again is in
  // it twice); they are skipped here.
  std::optional<std::size_t> take_idle() {
    while (!idle_.empty()) {
      const auto i = idle_.front();
      idle_.pop_front();
      if (!connections_[i].busy && connections_[i].fd.get() >= 0) return i;
    }
    return std::nullopt;
  }

  void close_connection(std::size_t i, const std::string& why) {
    auto& connection = connections_[i];
    if (connection.busy) {
      ++errors_[why];
      --in_flight_;
    }
    connection = Connection{};  // closes the socket, which leaves the epoll set
    closed_.push_back(i);
  }

  void send_next(std::size_t i, std::int64_t intended_ns) {
    auto& connection = connections_[i];
    const auto& request = requests_[counter_ % requests_.size()];
    connection.out = request.bytes;
    // The counter, zero-padded, in place of the template's zeros: a fresh messageId.
    char digits[kCounterDigits + 1];
    std::snprintf(digits, sizeof digits, "%0*llu", static_cast<int>(kCounterDigits), static_cast<unsigned long long>(counter_));
    connection.out.replace(request.counter_at, kCounterDigits, digits, kCounterDigits);
    ++counter_;
    connection.out_sent = 0;
    connection.in.clear();
    connection.busy = true;
    connection.intended_ns = intended_ns;
    ++in_flight_;
    flush(i);
  }

  void flush(std::size_t i) {
    auto& connection = connections_[i];
    while (connection.out_sent < connection.out.size()) {
      const auto n = ::send(connection.fd.get(), connection.out.data() + connection.out_sent, connection.out.size() - connection.out_sent,
                            MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0) return close_connection(i, std::string("send: ") + std::strerror(errno));
      connection.out_sent += static_cast<std::size_t>(n);
    }
    // EPOLLOUT only while a request is partly written (a connect in progress counts).
    const bool want_write = connection.out_sent < connection.out.size();
    if (want_write != connection.want_write) {
      epoll_event event{};
      event.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
      event.data.u64 = i;
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, connection.fd.get(), &event);
      connection.want_write = want_write;
    }
  }

  void receive(std::size_t i) {
    auto& connection = connections_[i];
    char buffer[16384];
    for (;;) {
      const auto n = ::recv(connection.fd.get(), buffer, sizeof buffer, 0);
      if (n > 0) {
        connection.in.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return close_connection(i, n == 0 ? "closed by the gateway" : std::string("recv: ") + std::strerror(errno));
    }
    if (!connection.busy) return;
    const auto head_end = connection.in.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    const std::string_view head(connection.in.data(), head_end);
    std::size_t length = 0;
    bool close_after = false;
    std::string lower(head);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (const auto at = lower.find("\r\ncontent-length:"); at != std::string::npos)
      length = std::strtoull(lower.c_str() + at + 17, nullptr, 10);
    else
      return close_connection(i, "answer without Content-Length");
    if (lower.find("\r\nconnection: close") != std::string::npos) close_after = true;
    if (connection.in.size() < head_end + 4 + length) return;
    const std::string_view body(connection.in.data() + head_end + 4, length);
    record(connection.intended_ns, body);
    connection.busy = false;
    --in_flight_;
    if (close_after) {
      connection = Connection{};
      closed_.push_back(i);
    } else {
      idle_.push_back(i);
    }
  }

  void record(std::int64_t intended_ns, std::string_view body) {
    const std::int64_t now = now_ns();
    if (body.find("SCSS001") == std::string_view::npos) {
      const auto at = body.find("<errorCode>");
      const auto end = body.find("</errorCode>");
      ++errors_[at == std::string_view::npos || end == std::string_view::npos ? std::string("no SCSS001, no errorCode")
                                                                              : std::string(body.substr(at + 11, end - at - 11))];
      return;
    }
    ++accepted_;
    if (now >= measure_from_ns_ && now < end_ns_) ++accepted_in_window_;
    if (body.find("<duplicate>true</duplicate>") != std::string_view::npos) ++duplicates_;
    std::uint64_t sequence = 0;
    if (const auto at = body.find("<sequence>"); at != std::string_view::npos)
      sequence = std::strtoull(body.data() + at + 10, nullptr, 10);
    if (intended_ns >= measure_from_ns_) {
      latencies_.push_back(now - intended_ns);
      if (sequence != 0) sent_log_.push_back(Sent{sequence, intended_ns});
    }
  }

  const Options& options_;
  const std::vector<RequestTemplate>& requests_;
  FileDescriptor epoll_;
  std::uint64_t counter_;
  std::uint64_t first_counter_;
  sockaddr_storage address_{};
  socklen_t address_length_ = 0;
  std::vector<Connection> connections_;
  std::deque<std::size_t> idle_;     // connections free for a request (see take_idle)
  std::vector<std::size_t> closed_;  // to open again
  std::uint64_t in_flight_ = 0;
  std::uint64_t accepted_ = 0;
  std::uint64_t accepted_in_window_ = 0;
  std::uint64_t duplicates_ = 0;
  std::size_t max_queue_ = 0;
  std::size_t unsent_ = 0;
  std::map<std::string, std::uint64_t> errors_;
  std::vector<std::int64_t> latencies_;
  std::vector<Sent> sent_log_;
  std::int64_t start_ns_ = 0, measure_from_ns_ = 0, end_ns_ = 0, finished_ns_ = 0;
};

double percentile_ms(const std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::min(sorted.size() - 1, index == 0 ? 0 : index - 1)]) / 1e6;
}

std::string run_nonce() {
  std::random_device entropy;
  char text[24];
  std::snprintf(text, sizeof text, "load-%08x-", entropy());
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  const Options options = parse_options(argc, argv);
  try {
    const auto signing_started = Clock::now();
    auto requests = make_requests(options, parse_url(options.url), run_nonce());
    std::printf("bench_load: %d distinct signed documents (%zu-byte requests, signed in %.1f s), %d connections, %s, %.0f s (first %.0f s warm-up)\n",
                options.documents, requests.front().bytes.size(),
                std::chrono::duration<double>(Clock::now() - signing_started).count(), options.connections,
                options.rate > 0 ? ("open loop at " + std::to_string(static_cast<long>(options.rate)) + " msg/s").c_str() : "closed loop",
                options.seconds, options.warmup);
    std::fflush(stdout);

    std::optional<Observer> observer;
    if (!options.bus.empty()) observer.emplace(options);
    LoadGenerator generator(options, requests);

    const auto gateway_before = sample_process(options.gateway_pid);
    const auto machine_before = sample_machine();
    const auto pressure_before = cpu_pressure_us();
    const auto sampled_before = Clock::now();
    const double own_before = own_cpu_seconds();

    generator.run();

    // Delivery: wait for every accepted message (or until nothing arrives for 3 s).
    std::vector<Delivery> deliveries;
    if (observer) {
      observer->drain(generator.accepted());
      deliveries = observer->take();
    }
    const double own_cpu = own_cpu_seconds() - own_before;
    const auto machine_after = sample_machine();
    const auto pressure_after = cpu_pressure_us();
    const double sampled_s = std::chrono::duration<double>(Clock::now() - sampled_before).count();
    const auto gateway_after = sample_process(options.gateway_pid);

    // --- figures
    const double window_s = static_cast<double>(generator.end_ns() - generator.measure_from_ns()) / 1e9;
    auto& latencies = generator.latencies();
    std::sort(latencies.begin(), latencies.end());
    std::uint64_t errors = 0;
    for (const auto& [_, count] : generator.errors()) errors += count;
    std::printf("  sent %llu, accepted (SCSS001) %llu, duplicates %llu, errors %llu\n",
                static_cast<unsigned long long>(generator.sent()), static_cast<unsigned long long>(generator.accepted()),
                static_cast<unsigned long long>(generator.duplicates()), static_cast<unsigned long long>(errors));
    for (const auto& [why, count] : generator.errors()) std::printf("    error %-40s %llu\n", why.c_str(), static_cast<unsigned long long>(count));
    const double accepted_rate = static_cast<double>(generator.accepted_in_window()) / window_s;
    std::printf("  accepted msg/s           %10.0f   (answers in the %.1f s after the warm-up)\n", accepted_rate, window_s);
    if (options.rate > 0) {
      std::printf("  open loop: largest queue of due requests waiting for a free connection %zu, never sent %zu\n",
                  generator.max_queue(), generator.unsent());
      // Requests still queued at the end have no latency at all: past saturation the figures
      // below describe only the lucky ones and say little.
      if (generator.unsent() > 0 || accepted_rate < 0.95 * options.rate)
        std::printf("  NOT SUSTAINED at %.0f msg/s: answered %.0f msg/s; the latencies below are of answered requests only (a lower bound)\n",
                    options.rate, accepted_rate);
      else
        std::printf("  sustained %.0f msg/s\n", options.rate);
    }
    if (latencies.empty()) std::printf("  latency to SCSS001: no request due after the warm-up was answered\n");
    else std::printf("  latency to SCSS001 ms    p50 %7.2f   p99 %7.2f   p99.9 %7.2f   max %7.2f   (%zu requests%s)\n",
                percentile_ms(latencies, 0.50), percentile_ms(latencies, 0.99), percentile_ms(latencies, 0.999),
                latencies.empty() ? 0.0 : static_cast<double>(latencies.back()) / 1e6, latencies.size(),
                options.rate > 0 ? ", from the scheduled send time" : "");
    if (observer && !latencies.empty()) {
      auto& sent_log = generator.sent_log();
      std::sort(sent_log.begin(), sent_log.end(), [](const Sent& a, const Sent& b) { return a.sequence < b.sequence; });
      std::sort(deliveries.begin(), deliveries.end(), [](const Delivery& a, const Delivery& b) { return a.sequence < b.sequence; });
      std::vector<std::int64_t> delivery_latencies;
      std::size_t s = 0;
      for (const auto& delivery : deliveries) {
        while (s < sent_log.size() && sent_log[s].sequence < delivery.sequence) ++s;
        if (s < sent_log.size() && sent_log[s].sequence == delivery.sequence) delivery_latencies.push_back(delivery.at_ns - sent_log[s].at_ns);
      }
      std::sort(delivery_latencies.begin(), delivery_latencies.end());
      std::printf("  latency to delivery ms   p50 %7.2f   p99 %7.2f   p99.9 %7.2f   max %7.2f   (%zu matched; delivered %zu of %llu accepted)\n",
                  percentile_ms(delivery_latencies, 0.50), percentile_ms(delivery_latencies, 0.99),
                  percentile_ms(delivery_latencies, 0.999),
                  delivery_latencies.empty() ? 0.0 : static_cast<double>(delivery_latencies.back()) / 1e6,
                  delivery_latencies.size(), deliveries.size(), static_cast<unsigned long long>(generator.accepted()));
    }
    const double per = generator.accepted() > 0 ? static_cast<double>(generator.accepted()) : 1.0;
    const double run_s = static_cast<double>(generator.finished_ns() - generator.start_ns()) / 1e9;
    const double machine_busy = machine_after.total > machine_before.total
                                    ? 100.0 * static_cast<double>(machine_after.busy - machine_before.busy) /
                                          static_cast<double>(machine_after.total - machine_before.total)
                                    : 0.0;
    if (gateway_before.valid && gateway_after.valid) {
      const double cpu = gateway_after.cpu_seconds - gateway_before.cpu_seconds;
      const double user = gateway_after.user_seconds - gateway_before.user_seconds;
      std::printf("  gateway CPU us/msg       %10.1f   (user %.1f + kernel %.1f; %.2f cores busy over the run; /proc/PID/stat)\n",
                  cpu * 1e6 / per, user * 1e6 / per, (cpu - user) * 1e6 / per, cpu / run_s);
      if (gateway_after.io)
        std::printf("  gateway read+write calls %10.1f   /msg (/proc/PID/io syscr %.1f + syscw %.1f: a proxy for syscalls, without fsyncs)\n",
                    static_cast<double>((gateway_after.syscr - gateway_before.syscr) + (gateway_after.syscw - gateway_before.syscw)) / per,
                    static_cast<double>(gateway_after.syscr - gateway_before.syscr) / per,
                    static_cast<double>(gateway_after.syscw - gateway_before.syscw) / per);
      if (gateway_after.io)
        std::printf("  gateway disk writes/msg  %10.0f bytes (/proc/PID/io write_bytes)\n",
                    static_cast<double>(gateway_after.write_bytes - gateway_before.write_bytes) / per);
      const auto [hwm, rss] = process_memory(options.gateway_pid);
      std::printf("  gateway peak RSS         %10.1f MiB (VmHWM since it started; VmRSS now %.1f MiB)\n", static_cast<double>(hwm) / 1024,
                  static_cast<double>(rss) / 1024);
    }
    // Other work on the machine shows here: a gateway whose threads wait for a core.
    const double pressure = pressure_before && pressure_after ? 100.0 * static_cast<double>(*pressure_after - *pressure_before) / (sampled_s * 1e6) : -1;
    std::printf("  load generator CPU us/msg %9.1f   (machine busy %.0f%% of %u cores over the run; CPU pressure %.0f%%)\n",
                own_cpu * 1e6 / per, machine_busy, std::thread::hardware_concurrency(), pressure);
    std::fflush(stdout);

    // Syscalls: the same load once more, shorter, with perf attached (its cost stays out of
    // the figures above).
    if (options.gateway_pid != 0 && options.perf_seconds > 0) {
      Options phase = options;
      phase.seconds = options.perf_seconds;
      phase.warmup = 0;
      LoadGenerator counted(phase, requests, generator.next_counter());
      PerfStat perf(options.gateway_pid, std::filesystem::temp_directory_path() / ("bench_load-perf-" + std::to_string(::getpid()) + ".csv"));
      counted.run();
      if (observer) observer->drain(generator.accepted() + counted.accepted());
      const auto perf_counts = perf.stop();
      const double counted_per = counted.accepted() > 0 ? static_cast<double>(counted.accepted()) : 1.0;
      for (const auto& [why, count] : counted.errors()) errors += count;
      if (perf_counts.empty()) {
        std::printf("  syscalls: perf stat could not attach (no perf?); use `strace -c -f -p %d` on a short run\n", options.gateway_pid);
      } else {
        const auto count = [&](const std::string& event) {
          const auto found = perf_counts.find(event);
          return found == perf_counts.end() ? 0.0 : found->second;
        };
        std::printf("  gateway syscalls/msg     %10.1f   (perf stat raw_syscalls:sys_enter, separate %.0f s phase: %llu accepted)\n",
                    count("raw_syscalls:sys_enter") / counted_per, phase.seconds, static_cast<unsigned long long>(counted.accepted()));
        std::printf("  gateway fsyncs/msg       %10.3f   (fsync %.0f + fdatasync %.0f)\n",
                    (count("syscalls:sys_enter_fsync") + count("syscalls:sys_enter_fdatasync")) / counted_per,
                    count("syscalls:sys_enter_fsync"), count("syscalls:sys_enter_fdatasync"));
        std::printf("  gateway per msg          ");
        for (const auto& [event, value] : perf_counts) {
          if (!event.starts_with("syscalls:sys_enter_") || event.ends_with("fsync")) continue;
          if (value > 0) std::printf(" %s %.2f", event.substr(19).c_str(), value / counted_per);
        }
        std::printf("  context-switches %.2f\n", count("context-switches") / counted_per);
      }
    }
    return errors == 0 ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_load: %s\n", error.what());
    return 2;
  }
}

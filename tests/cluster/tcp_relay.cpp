// tcp_relay LISTEN:TARGET...: relays TCP connections from 127.0.0.1:LISTEN to 127.0.0.1:TARGET,
// for the cluster test's network partition: a node reaches etcd only through a relay, and killing
// the relay cuts it off (its connections are reset, new ones refused) until another relay is
// started on the same ports. The ports listened on are printed on one line, in order, once every
// port listens.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

sockaddr_in loopback(unsigned port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Copies one direction until either side ends, then ends the other side's writing.
void pump(int from, int to) {
  char buffer[16384];
  for (;;) {
    const ssize_t got = ::read(from, buffer, sizeof buffer);
    if (got <= 0)
      break;
    for (ssize_t sent = 0; sent < got;) {
      const ssize_t wrote = ::write(to, buffer + sent, static_cast<std::size_t>(got - sent));
      if (wrote <= 0) {
        ::shutdown(from, SHUT_RD);
        return;
      }
      sent += wrote;
    }
  }
  ::shutdown(to, SHUT_WR);
}

void relay(int listener, unsigned target) {
  for (;;) {
    const int client = ::accept(listener, nullptr, nullptr);
    if (client < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // out of descriptors: no spin
      continue;
    }
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in address = loopback(target);
    if (server < 0 || ::connect(server, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      ::close(client);
      if (server >= 0)
        ::close(server);
      continue;
    }
    // The descriptors stay open until the process ends: a relay lives for one test.
    std::thread(pump, client, server).detach();
    std::thread(pump, server, client).detach();
  }
}

bool parse(std::string_view text, unsigned& value) {
  const auto [end, failed] = std::from_chars(text.data(), text.data() + text.size(), value);
  return failed == std::errc{} && end == text.data() + text.size() && value <= 65535;
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that closed while the other side still sends must not end the relay (a partition the
  // test did not ask for): the write fails instead.
  (void)std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::thread> relays;
  std::string ports;
  for (int i = 1; i < argc; ++i) {
    const std::string_view pair = argv[i];
    const std::size_t colon = pair.find(':');
    unsigned listen_port = 0;
    unsigned target = 0;
    if (colon == std::string_view::npos || !parse(pair.substr(0, colon), listen_port) ||
        !parse(pair.substr(colon + 1), target) || target == 0) {
      (void)std::fprintf(stderr, "usage: tcp_relay LISTEN:TARGET...\n");
      return 2;
    }
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int on = 1;
    sockaddr_in address = loopback(listen_port);
    socklen_t size = sizeof address;
    if (listener < 0 || ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        ::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 64) != 0 || ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      std::perror("tcp_relay: listen");
      return 1;
    }
    if (!ports.empty())
      ports += ' ';
    ports += std::to_string(ntohs(address.sin_port));
    relays.emplace_back(relay, listener, target);
  }
  (void)std::printf("%s\n", ports.c_str());
  (void)std::fflush(stdout);
  for (auto& thread : relays)
    thread.join();
}

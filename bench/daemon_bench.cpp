// strongholdd over its socket against the in-process façade, in interleaved rounds: Ed25519
// signatures per second with many requests in flight on each of a few connections (by the sign
// op, and by the request op that carries any request of the vocabulary), and with batches of 64,
// as a ratio of Engine::sign_async with as many in flight, and all of them as a ratio of raw
// libsodium signing on every core, measured in the same rounds. The daemon is the real binary,
// started here on a snapshot of its own.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "daemon_load.hpp"
#include "stronghold/actors/wire.hpp"
#include "stronghold/engine.hpp"
#include "wire/client.hpp"

namespace {

using namespace stronghold;
using namespace stronghold::bench;

constexpr int kConnections = 4;
constexpr int kInFlight = 256;  // per connection, as requests or as batch messages

double facade_rate(Engine& engine, const vault::Location& key) {
  return pipelined_rate(kConnections * kInFlight, [&](auto& finished) {
    engine.sign_async(key, kMessage, [&finished](const Result<Bytes>& signature) {
      if (!signature.ok())
        std::abort();
      finished(1);
    });
  });
}

}  // namespace

int main() {
  const std::filesystem::path dir = std::filesystem::absolute("bench-data/daemon");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const Bytes password = {'b'};
  EngineOptions options;
  options.snapshot.kdf = snapshot::KdfPreset::fast;
  const auto key = vault::Location::parse("b/ed").value();
  std::string served = (dir / "served.stronghold").string(), socket = (dir / "d.sock").string();
  {
    auto setup = Engine::create(served, password, options).value();
    if (!setup->generate(key, vault::KeyType::ed25519).ok())
      return 1;
  }
  std::ofstream((dir / "password").string()) << "b\n";
  const pid_t daemon_pid = ::fork();
  if (daemon_pid == 0) {
    const std::string password_file = (dir / "password").string();
    ::execl(STRONGHOLDD_PATH, STRONGHOLDD_PATH, "--snapshot", served.c_str(), "--socket", socket.c_str(),
            "--password-file", password_file.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 400 && !wire::Client::connect(socket).ok(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  auto engine = Engine::create((dir / "local.stronghold").string(), password, options).value();
  if (!engine->generate(key, vault::KeyType::ed25519).ok())
    return 1;

  // Per round: the raw rate, then each way as a ratio of the façade's and of the raw rate.
  std::vector<double> raw, facade, facade_raw, single, single_raw, requested, batched, batched_raw;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  for (int round = 0; round < kRounds; ++round) {
    raw.push_back(raw_rate(cores, RawEd25519{}));
    facade.push_back(facade_rate(*engine, key));
    facade_raw.push_back(facade.back() / raw.back());
    const double sign_op = daemon_rate({socket}, kConnections, kInFlight, Mode::sign_op);
    single.push_back(sign_op / facade.back());
    single_raw.push_back(sign_op / raw.back());
    requested.push_back(daemon_rate({socket}, kConnections, kInFlight, Mode::request_op) / facade.back());
    const double batch_op = daemon_rate({socket}, kConnections, kInFlight, Mode::batch_op);
    batched.push_back(batch_op / facade.back());
    batched_raw.push_back(batch_op / raw.back());
  }
  fmt::print("strongholdd over its Unix socket, {} connections, median of {} interleaved rounds\n", kConnections,
             kRounds);
  fmt::print("  raw libsodium, {} threads                 {:>8.0f}/s\n", cores, median(raw));
  fmt::print("  in-process façade async, {} in flight   {:>8.0f}/s = {:.2f} x raw (rounds {:.2f}..{:.2f})\n",
             kConnections * kInFlight, median(facade), median(facade_raw), min(facade_raw), max(facade_raw));
  fmt::print("  daemon, {} requests in flight each        {:.2f} x raw (rounds {:.2f}..{:.2f})\n", kInFlight,
             median(single_raw), min(single_raw), max(single_raw));
  fmt::print("  daemon, batches of 64, {} messages each   {:.2f} x raw (rounds {:.2f}..{:.2f})\n", kInFlight,
             median(batched_raw), min(batched_raw), max(batched_raw));
  fmt::print("  daemon, {} requests in flight each        {:.2f} x façade (rounds {:.2f}..{:.2f})\n", kInFlight,
             median(single), min(single), max(single));
  fmt::print("  daemon, {} sign requests (op 11) each    {:.2f} x façade (rounds {:.2f}..{:.2f})\n", kInFlight,
             median(requested), min(requested), max(requested));
  fmt::print("  daemon, batches of 64, {} messages each   {:.2f} x façade (rounds {:.2f}..{:.2f})\n", kInFlight,
             median(batched), min(batched), max(batched));
  engine->close();
  ::kill(daemon_pid, SIGTERM);
  ::waitpid(daemon_pid, nullptr, 0);
  std::filesystem::remove_all(dir);
  return 0;
}

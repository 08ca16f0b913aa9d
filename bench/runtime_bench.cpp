// Costs of the runtime's protections against the raw primitives they wrap.
#include <cstring>

#include <sodium.h>

#include "ratio_report.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/scratch.hpp"
#include "stronghold/runtime/secret_buffer.hpp"
#include "stronghold/runtime/shield.hpp"

namespace {

using namespace stronghold::runtime;

void BM_RawAeadOpen32(benchmark::State& state) {
  std::uint8_t key[32], nonce[12] = {}, plain[32] = {}, sealed[48];
  random_bytes(key);
  crypto_aead_chacha20poly1305_ietf_encrypt(sealed, nullptr, plain, 32, nullptr, 0, nullptr, nonce, key);
  for (auto _ : state)
    benchmark::DoNotOptimize(
        crypto_aead_chacha20poly1305_ietf_decrypt(plain, nullptr, nullptr, sealed, 48, nullptr, 0, nonce, key));
}
BENCHMARK(BM_RawAeadOpen32);

void BM_ShieldOpen32(benchmark::State& state) {
  std::uint8_t plain[32] = {1};
  auto shielded = ShieldedSecret::seal(plain).value();
  for (auto _ : state) {
    ScratchFrame frame;
    auto out = frame.take(32);
    benchmark::DoNotOptimize(shielded.open(*out).ok());
  }
}
BENCHMARK(BM_ShieldOpen32);

void BM_ShieldSeal32(benchmark::State& state) {
  std::uint8_t plain[32] = {1};
  for (auto _ : state)
    benchmark::DoNotOptimize(ShieldedSecret::seal(plain));
}
BENCHMARK(BM_ShieldSeal32);

void BM_SecretBufferReadView(benchmark::State& state) {
  auto buffer = SecretBuffer::create(32).value();
  for (auto _ : state) {
    auto view = buffer.read();
    benchmark::DoNotOptimize(view.bytes()[0]);
  }
}
BENCHMARK(BM_SecretBufferReadView);

void BM_ScratchFrame32(benchmark::State& state) {
  for (auto _ : state) {
    ScratchFrame frame;
    auto out = frame.take(32);
    benchmark::DoNotOptimize(out->data());
  }
}
BENCHMARK(BM_ScratchFrame32);

}  // namespace

int main(int argc, char** argv) {
  return stronghold::bench::run(
      argc, argv,
      {{"shield open (into scratch) / raw chacha20poly1305 open", "BM_ShieldOpen32", "BM_RawAeadOpen32"},
       {"secret buffer read view / raw chacha20poly1305 open", "BM_SecretBufferReadView", "BM_RawAeadOpen32"}});
}

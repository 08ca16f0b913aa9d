// Signing on a record through the vault against the raw library call on the same message.
#include <chrono>
#include <functional>

#include <secp256k1.h>
#include <sodium.h>

#include "ratio_report.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/vault/keys.hpp"
#include "stronghold/vault/sign.hpp"

namespace {

using namespace stronghold;
using namespace stronghold::vault;

const Bytes kMessage(64, 0x5a);

struct VaultWithKeys {
  Keystore keystore;
  Location ed = Location::parse("bench/ed25519").value();
  Location k1 = Location::parse("bench/secp256k1").value();

  static VaultWithKeys& instance() {
    static VaultWithKeys vault = [] {
      Bytes snapshot_key(32);
      runtime::random_bytes(snapshot_key);
      VaultWithKeys made{Keystore::create(snapshot_key).value()};
      Transaction tx(made.keystore);
      (void)generate_key(tx, made.ed, KeyType::ed25519).value();
      (void)generate_key(tx, made.k1, KeyType::secp256k1).value();
      if (!made.keystore.commit(std::move(tx)).ok())
        std::abort();
      // Many other records, so lookups are not in a tiny table.
      Transaction filler(made.keystore);
      for (int i = 0; i < 10'000; ++i)
        (void)generate_key(filler, Location::parse(fmt::format("bench/other{}", i)).value(), KeyType::symmetric);
      if (!made.keystore.commit(std::move(filler)).ok())
        std::abort();
      return made;
    }();
    return vault;
  }
};

struct RawEd25519 {
  std::uint8_t public_key[32], secret_key[64], signature[64];
  RawEd25519() { crypto_sign_keypair(public_key, secret_key); }
  void operator()() {
    crypto_sign_detached(signature, nullptr, kMessage.data(), kMessage.size(), secret_key);
    benchmark::DoNotOptimize(signature);
  }
};

struct RawSecp256k1 {
  secp256k1_context* context = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  std::uint8_t secret_key[32];
  RawSecp256k1() {
    std::uint8_t seed[32];
    runtime::random_bytes(seed);
    if (!secp256k1_context_randomize(context, seed))
      std::abort();
    do
      runtime::random_bytes(secret_key);
    while (!secp256k1_ec_seckey_verify(context, secret_key));
  }
  ~RawSecp256k1() { secp256k1_context_destroy(context); }
  void operator()() {
    std::uint8_t digest[32], compact[64];
    crypto_hash_sha256(digest, kMessage.data(), kMessage.size());
    secp256k1_ecdsa_signature signature;
    benchmark::DoNotOptimize(secp256k1_ecdsa_sign(context, &signature, digest, secret_key, nullptr, nullptr));
    secp256k1_ecdsa_signature_serialize_compact(context, compact, &signature);
    benchmark::DoNotOptimize(compact);
  }
};

void vault_ed25519() {
  VaultWithKeys& vault = VaultWithKeys::instance();
  benchmark::DoNotOptimize(sign_ed25519(vault.keystore, vault.ed, kMessage));
}
void vault_secp256k1() {
  VaultWithKeys& vault = VaultWithKeys::instance();
  benchmark::DoNotOptimize(sign_ecdsa(vault.keystore, vault.k1, kMessage));
}

void BM_Ed25519Sign(benchmark::State& state) {
  RawEd25519 raw;
  stronghold::bench::paired(state, "Ed25519 sign: vault / raw libsodium", vault_ed25519, std::ref(raw));
}
void BM_Secp256k1Sign(benchmark::State& state) {
  RawSecp256k1 raw;
  stronghold::bench::paired(state, "secp256k1 ECDSA sign: vault / raw libsecp256k1", vault_secp256k1, std::ref(raw));
}
BENCHMARK(BM_Ed25519Sign)->MinTime(2);
BENCHMARK(BM_Secp256k1Sign)->MinTime(2);

}  // namespace

int main(int argc, char** argv) { return stronghold::bench::run(argc, argv, {}); }

// The three Rust Stronghold files in tests/fixtures/rust-stronghold (iota-sdk's own test files):
// each holds the BIP39 seed of its mnemonic, behind its password.
#pragma once

#include <array>
#include <string>

#include "stronghold/runtime/hex.hpp"
#include "support/test_files.hpp"

namespace stronghold::test {

struct RustWallet {
  const char* file;
  const char* password;
  const char* mnemonic;
};

inline constexpr std::array<RustWallet, 3> kRustWallets = {{
    {"v2.stronghold", "current_password",
     "winter spend artefact viable cigar pink easy charge ranch license coyote cage brass mushroom repair game "
     "attack peanut glad rather cart obey famous chat"},
    {"v2_with_backup.stronghold", "current_password",
     "brisk egg allow van merge process chest type dove bomb proud purity monitor snap load verb utility hungry "
     "cube coast fetch pioneer gadget credit"},
    {"no_secret_manager_data.stronghold", "some_hopefully_secure_password",
     "inhale gorilla deny three celery song category owner lottery rent author wealth penalty crawl hobby obtain "
     "glad warm early rain clutch slab august bleak"},
}};

inline Bytes rust_wallet_bytes(const RustWallet& wallet) {
  const std::string text = read_test_file(std::string("fixtures/rust-stronghold/") + wallet.file);
  return {text.begin(), text.end()};
}

}  // namespace stronghold::test

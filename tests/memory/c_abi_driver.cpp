// The memory-scan test's driver of the C ABI (see driver.hpp).
#include "memory/driver.hpp"
#include "stronghold/stronghold.h"

using namespace stronghold;

namespace {

int key_type(const std::string& name) {
  return name == "secp256k1" ? STRONGHOLD_SECP256K1 : name == "x25519" ? STRONGHOLD_X25519 : STRONGHOLD_ED25519;
}

int run(stronghold_engine*& engine, const std::vector<std::string>& words, ByteView secret) {
  const std::string& op = words.at(0);
  const Bytes& message = test::kDriverMessage;
  std::uint8_t out[64];
  std::size_t written = 0;
  if (op == "create")
    return stronghold_open(words.at(1).c_str(), secret.data(), secret.size(), 1, &engine);
  if (op == "import")
    return stronghold_import_key(engine, words.at(1).c_str(), key_type(words.at(2)), 0, secret.data(), secret.size(),
                                 out, sizeof out, &written);
  if (op == "generate")
    return stronghold_generate(engine, words.at(1).c_str(), STRONGHOLD_ED25519, 0, out, sizeof out, &written);
  if (op == "sign")
    return stronghold_sign(engine, words.at(1).c_str(), message.data(), message.size(), out, sizeof out, &written);
  if (op == "put")
    return stronghold_secret_put(engine, words.at(1).c_str(), 0, secret.data(), secret.size());
  if (op == "get") {
    std::uint8_t* value = nullptr;
    std::size_t size = 0;
    const int got = stronghold_secret_get(engine, words.at(1).c_str(), &value, &size);
    stronghold_free_secret(value, size);
    return got;
  }
  if (op == "close") {
    stronghold_close(engine);
    engine = nullptr;
    return 0;
  }
  return STRONGHOLD_INVALID_ARGUMENT;
}

}  // namespace

int main(int, char** argv) {
  stronghold_engine* engine = nullptr;
  return test::drive(
      argv, [&](const std::vector<std::string>& words, ByteView secret) { return run(engine, words, secret); });
}

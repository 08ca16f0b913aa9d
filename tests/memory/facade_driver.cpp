// The memory-scan test's driver of the C++ façade (see driver.hpp).
#include "memory/driver.hpp"
#include "stronghold/engine.hpp"

using namespace stronghold;

namespace {

vault::Location at(const std::string& text) { return vault::Location::parse(text).value(); }

Status run(std::unique_ptr<Engine>& engine, const std::vector<std::string>& words, ByteView secret) {
  const std::string& op = words.at(0);
  const Bytes& message = test::kDriverMessage;
  if (op == "create") {
    EngineOptions options;
    options.snapshot.kdf = snapshot::KdfPreset::fast;
    SH_ASSIGN_OR_RETURN(engine, Engine::create(words.at(1), secret, options));
    return {};
  }
  if (op == "import")
    return engine->import_key(at(words.at(1)), vault::parse_key_type(words.at(2)).value(), secret).status();
  if (op == "generate")
    return engine->generate(at(words.at(1)), vault::KeyType::ed25519).status();
  if (op == "sign")
    return engine->sign(at(words.at(1)), message).status();
  if (op == "batch")
    return engine->sign_batch(at(words.at(1)), {message, message, message}).status();
  if (op == "derive")
    return engine->derive(at(words.at(1)), "m/44'/4218'/0'", vault::Curve::ed25519, at(words.at(2))).status();
  if (op == "mnemonic")
    return engine->call(actors::RecoverMnemonic{at(words.at(1)), actors::Secret::seal(secret).value()}).status();
  if (op == "put")
    return engine->put_secret(words.at(1), secret);
  if (op == "get")
    return engine->get_secret(words.at(1)).status();
  if (op == "close") {
    engine.reset();
    return {};
  }
  return Status(Errc::invalid_argument, "unknown op");
}

}  // namespace

int main(int, char** argv) {
  std::unique_ptr<Engine> engine;
  return test::drive(argv, [&](const std::vector<std::string>& words, ByteView secret) {
    return static_cast<int>(run(engine, words, secret).code());
  });
}

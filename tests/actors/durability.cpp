#include "actors/durability.hpp"

#include <algorithm>

#include <doctest/doctest.h>

#include "stronghold/identity/stronghold_storage.hpp"

namespace stronghold::test {

void Ledger::record(std::map<std::string, std::optional<Bytes>> State::*kind, const std::string& name,
                    const Status& answer, std::optional<Bytes> value) {
  if (!answer.ok()) {
    uncertain_.insert(name);
    return;
  }
  uncertain_.erase(name);
  (acknowledged_.*kind)[name] = std::move(value);
}

void Ledger::keys(const std::string& name, const Status& answer, std::optional<Bytes> public_key) {
  record(&State::keys, name, answer, std::move(public_key));
}

void Ledger::secret(const std::string& name, const Status& answer, std::optional<Bytes> value) {
  record(&State::secrets, name, answer, std::move(value));
}

void Ledger::password(const Status& answer, const Bytes& password) {
  if (answer.ok())
    acknowledged_.passwords.clear();
  acknowledged_.passwords.push_back(password);
}

bool Ledger::settled(const std::map<std::string, std::optional<Bytes>> State::*kind, const std::string& name) const {
  // Changed since the promise: either state may be on the disk.
  const auto now = (acknowledged_.*kind).find(name);
  return !uncertain_.contains(name) && now != (acknowledged_.*kind).end() && now->second == (durable_.*kind).at(name);
}

namespace {

// The engine on the file, under whichever password it has: the promised one or one tried since.
std::unique_ptr<Engine> open_either(const std::string& path, const std::vector<Bytes>& passwords,
                                    const EngineOptions& options) {
  Result<std::unique_ptr<Engine>> opened = Status(Errc::wrong_password, "no password to try");
  for (const Bytes& password : passwords) {
    opened = Engine::open(path, password, options);
    if (opened.code() != Errc::wrong_password)
      break;
  }
  REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
  return std::move(opened).value();
}

}  // namespace

void Ledger::check(snapshot::FileSystem& fs, const std::string& path, EngineOptions options) const {
  options.file_system = &fs;
  std::vector<Bytes> passwords = durable_.passwords;
  passwords.insert(passwords.end(), acknowledged_.passwords.begin(), acknowledged_.passwords.end());
  std::shared_ptr<Engine> engine = open_either(path, passwords, options);
  // Named references, not structured bindings: clang 14 cannot capture bindings in the checks' lambdas.
  for (const auto& key : durable_.keys) {
    const auto& name = key.first;
    const auto& public_key = key.second;
    if (!settled(&State::keys, name))
      continue;
    const Result<Bytes> found = engine->public_key(vault::Location::parse(name).value());
    CHECK_MESSAGE(found.ok() == public_key.has_value(), name << ": " << found.status().to_string());
    if (found.ok() && public_key)
      CHECK_MESSAGE(*found == *public_key, name << " holds another key");
  }
  for (const auto& secret : durable_.secrets) {
    const auto& name = secret.first;
    const auto& value = secret.second;
    if (!settled(&State::secrets, name))
      continue;
    const Result<runtime::SecretBuffer> found = engine->get_secret(name);
    CHECK_MESSAGE(found.ok() == value.has_value(), name << ": " << found.status().to_string());
    if (found.ok() && value) {
      const auto view = found->read();
      CHECK_MESSAGE(std::ranges::equal(view.bytes(), *value), name << " holds another value");
    }
  }
  identity::StrongholdStorage storage(engine);
  for (const vault::Did& did : durable_.dids)
    CHECK_MESSAGE(storage.did_exists(did).value(), "DID " << did.tag() << " lost");
}

}  // namespace stronghold::test

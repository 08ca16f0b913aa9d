// What a workload's answers promise about the file, and the check of a crash image against it.
//
// A Ledger hears every change's answer. An ok answer in sync durability promises the change
// survives a power loss; in group durability only a later successful sync() promises it. A
// change answered with an error may or may not be there: its name is left unchecked until a
// later promised change settles it.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "stronghold/engine.hpp"
#include "stronghold/vault/did.hpp"

namespace stronghold::test {

class Ledger {
 public:
  explicit Ledger(const Bytes& password) {
    acknowledged_.passwords.push_back(password);
    durable_ = acknowledged_;
  }

  // A change of the key or secret `name`: its public key or value, or nullopt for a removal.
  void keys(const std::string& name, const Status& answer, std::optional<Bytes> public_key);
  void secret(const std::string& name, const Status& answer, std::optional<Bytes> value);
  void did(const vault::Did& did) { acknowledged_.dids.push_back(did); }
  void password(const Status& answer, const Bytes& password);
  // Everything acknowledged so far is promised (every ok answer in sync durability, a
  // successful sync() in group durability).
  void promise() { durable_ = acknowledged_; }

  // Opens the file at `path` of `fs` (a crash image) and requires every promised change.
  void check(snapshot::FileSystem& fs, const std::string& path, EngineOptions options) const;
  std::size_t promised_changes() const { return durable_.keys.size() + durable_.secrets.size() + durable_.dids.size(); }

 private:
  struct State {
    std::map<std::string, std::optional<Bytes>> keys;
    std::map<std::string, std::optional<Bytes>> secrets;
    std::vector<vault::Did> dids;
    std::vector<Bytes> passwords;  // the last acknowledged, then the ones tried since
  };
  // Whether a crash image must show `name` as the promised state holds it.
  bool settled(const std::map<std::string, std::optional<Bytes>> State::*kind, const std::string& name) const;
  void record(std::map<std::string, std::optional<Bytes>> State::*kind, const std::string& name, const Status& answer,
              std::optional<Bytes> value);

  State acknowledged_;
  State durable_;
  std::set<std::string> uncertain_;  // changed by a request answered with an error
};

}  // namespace stronghold::test

// The door to companion vaults' records (policy.hpp) and the client registry (clients.hpp), which no user location
// reaches: internal to the vault floor, defined beside the keystore's state (keystore.cpp).
#pragma once

#include "stronghold/vault/function_ref.hpp"
#include "stronghold/vault/keystore.hpp"

namespace stronghold::vault {

struct CompanionRecords {
  // The record's bytes; not_found when there is none (or it was removed).
  static Result<Bytes> read(const Keystore& keystore, const Location& location);
  // Calls `use` with the record's plaintext, which lives only for the call (a key).
  static Status use(const Keystore& keystore, const Location& location, FunctionRef<Status(ByteView)> use);
  // The same as `tx` sees it (Transaction::use).
  static Status use(const Transaction& tx, const Location& location, FunctionRef<Status(ByteView)> use);
  // Stores `value` at `location`, replacing what is there.
  static Status put(Transaction& tx, const Location& location, ByteView value);
  // Removes the record at `location`, if there is one.
  static Status remove(Transaction& tx, const Location& location);
  // The paths of the live records of the vault at `vault_path`, sorted.
  static std::vector<std::string> names(const Keystore& keystore, const std::string& vault_path);
};

}  // namespace stronghold::vault

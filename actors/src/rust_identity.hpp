// The "identity" preset of import.stronghold: the DIDs an IOTA Identity 0.6 account kept in a Rust
// Stronghold snapshot, moved into this engine's identity storage (vault/identity.hpp).
#pragma once

#include "stronghold/actors/requests.hpp"
#include "stronghold/snapshot/rust_stronghold.hpp"

namespace stronghold::actors {

// Identity 0.6's layout (identity_account_storage, storage/stronghold.rs):
//   - the DID index: a JSON array of DIDs, in the store of client "$index" under key "$index";
//   - per DID, a client whose path is the DID's text: its keys in vault "$vault", each at the
//     record path "<fragment>:<key hash>" of its key location; its chain state and document as
//     JSON in the client's store under "$chain_state" and "$document".
// A record path is a one-way id, so a DID's keys are found through the verification methods of
// its document (type, fragment, public key: the key location); each must match its private key.
// A key no method names cannot be placed: it is reported as skipped. A DID already here is kept
// unless the transaction replaces (then it is purged and imported anew). not_found without an
// index; invalid_argument for an index, document or chain state that is not what Identity writes.
Result<std::vector<ImportedEntry>> import_rust_identities(vault::Transaction& tx,
                                                          const snapshot::rust_stronghold::Contents& contents);

}  // namespace stronghold::actors

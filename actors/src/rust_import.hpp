// The work of import.stronghold and inspect.stronghold, apart from the actor that answers them.
#pragma once

#include "stronghold/actors/requests.hpp"

namespace stronghold::actors {

// Stages every record the request names into `tx` (made with the request's merge rule) and
// says what happened to each; nothing is staged when any record fails.
Result<ImportReport> import_rust_stronghold(vault::Transaction& tx, const ImportStronghold& request);
Result<RustSnapshotInfo> inspect_rust_stronghold(const InspectStronghold& request);

}  // namespace stronghold::actors

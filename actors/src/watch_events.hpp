// What the vault actor tells watchers (stronghold/actors/events.hpp): the events its audit
// entries make, built only while somebody watches.
#pragma once

#include <optional>
#include <vector>

#include "stronghold/actors/events.hpp"
#include "stronghold/actors/requests.hpp"
#include "stronghold/snapshot/audit_log.hpp"

namespace stronghold::actors {

// The event an allowed request of `kind` makes (a policy change, an export, a deletion), if any.
std::optional<EventType> event_of_kind(RequestKind kind) noexcept;

// The event one audit entry makes, if any: a denial or rate limit, a wrong password, an expired
// key, an approval asked for, given or expired, or an allowed request event_of_kind names.
std::optional<Event> event_of(const snapshot::AuditEntry& entry);

// Publishes the events `entries` make; a batch's entries (one per message) make one event.
void announce(EventHub& hub, const std::vector<snapshot::AuditEntry>& entries);

}  // namespace stronghold::actors

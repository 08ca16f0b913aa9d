#include "watch_events.hpp"

#include "stronghold/vault/policy.hpp"

namespace stronghold::actors {

std::optional<EventType> event_of_kind(RequestKind kind) noexcept {
  using enum RequestKind;
  switch (kind) {
    case DeleteKey:
    case DeleteSecret: return EventType::deleted;
    case ExportVaults:
    case ExportWithPassword: return EventType::exported;
    case ImportVaults:
    case ImportWithPassword:
    case ImportStronghold: return EventType::imported;
    case SetPolicy:
    case SetApprovalRule: return EventType::policy_changed;
    case SetAuditMode:
    case ChangePassword:
    case ClientAdd:
    case ClientRemove:
    case ApproverAdd:
    case ApproverRemove: return EventType::settings_changed;
    default: return std::nullopt;
  }
}

namespace {

std::optional<EventType> failure_event(const snapshot::AuditEntry& entry) {
  switch (static_cast<Errc>(entry.status)) {
    case Errc::wrong_password: return EventType::unlock_failed;
    case Errc::expired: return EventType::expired;
    default: return std::nullopt;
  }
}

std::optional<EventType> event_type_of(const snapshot::AuditEntry& entry) {
  using enum snapshot::AuditOutcome;
  switch (entry.outcome) {
    case allowed: return event_of_kind(static_cast<RequestKind>(entry.kind));
    case denied: return vault::is_rate_limit_denial(entry.rule) ? EventType::rate_limited : EventType::denied;
    case failed: return failure_event(entry);
    case pending: return EventType::approval_requested;
    case approved: return EventType::approval_given;
    case expired: return EventType::approval_expired;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Event> event_of(const snapshot::AuditEntry& entry) {
  const std::optional<EventType> type = event_type_of(entry);
  if (!type)
    return std::nullopt;
  return Event{entry.time_ms,  *type,     entry.caller, std::string(request_name(static_cast<RequestKind>(entry.kind))),
               entry.location, entry.rule};
}

void announce(EventHub& hub, const std::vector<snapshot::AuditEntry>& entries) {
  if (entries.empty() || !hub.watched())
    return;
  if (auto event = event_of(entries.front()))
    hub.publish(std::move(*event));
}

}  // namespace stronghold::actors

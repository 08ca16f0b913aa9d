#include "policy_book.hpp"

namespace stronghold::actors {

std::string PolicyBook::scope_key(const std::string& vault, const std::string& record) {
  std::string key = vault;
  key += '\0';  // no vault path holds a NUL
  key += record;
  return key;
}

Result<PolicyBook::Entry*> PolicyBook::entry(const vault::Keystore& keystore, const std::string& vault,
                                             const std::string& record) {
  const std::string key = scope_key(vault, record);
  if (const auto found = policies_.find(key); found != policies_.end())
    return &found->second;
  if (!vault::vault_has_policies(keystore, vault))
    return nullptr;  // the common case
  auto policy = vault::read_policy(keystore, vault, record);
  if (policy.status().code() == Errc::not_found)
    return nullptr;  // a miss unseals nothing: remembering it would let callers grow the book by naming records
  SH_RETURN_IF_ERROR(policy.status());
  return &policies_.insert_or_assign(key, Entry{std::move(*policy), {}, false}).first->second;
}

Result<vault::UseCounter*> PolicyBook::counter(const vault::Keystore& keystore, Entry& entry, const std::string& vault,
                                               const std::string& record, std::int64_t now_ms) {
  if (!entry.counter) {
    SH_ASSIGN_OR_RETURN(const std::uint64_t reserved, vault::read_reserved_uses(keystore, vault, record));
    entry.counter = vault::UseCounter::resumed(reserved, now_ms);
    entry.counter->bucket_started = !entry.set_here;
  }
  return &*entry.counter;
}

namespace {

std::string scope_name(const std::string& vault, const std::string& record) {
  return record.empty() ? "vault " + vault : vault + "/" + record;
}

}  // namespace

Result<std::vector<UseReservation>> PolicyBook::admit(const vault::Keystore& keystore, const PolicyFacts& facts,
                                                      const vault::Caller& caller, std::int64_t now_ms) {
  // The owner (who opened the snapshot with its password, and could change the file anyway)
  // manages policies whatever they say: no policy can lock its owner out.
  const bool manages_policy = facts.kind == RequestKind::SetPolicy || facts.kind == RequestKind::ShowPolicy;
  if (manages_policy && caller.is_owner())
    return std::vector<UseReservation>{};
  std::vector<PolicedTarget> targets = facts.targets;
  if (facts.every_vault)
    for (std::string& vault : vault::policed_vaults(keystore))
      targets.push_back({std::move(vault), {}, 0, {}});
  // First every check, then every take, on copies: a refusal anywhere takes nothing.
  struct Taking {
    Entry* entry;
    const PolicedTarget* target;
    bool key_scope;
    vault::UseCounter counter;
    vault::Reservation reservation;
  };
  std::vector<Taking> takings;
  for (const PolicedTarget& target : targets) {
    for (const bool key_scope : {false, true}) {
      if (key_scope && target.record.empty())
        continue;
      const std::string& record = key_scope ? target.record : std::string();
      SH_ASSIGN_OR_RETURN(Entry * found, entry(keystore, target.vault, record));
      if (found == nullptr)
        continue;
      const vault::PolicedRequest request{static_cast<std::uint16_t>(facts.kind),
                                          request_name(facts.kind),
                                          &caller,
                                          target.uses,
                                          facts.longest_message,
                                          facts.prehashed,
                                          target.derivation_path};
      SH_RETURN_IF_ERROR(vault::check_policy(found->policy, scope_name(target.vault, record), request, now_ms / 1000));
      if (target.uses == 0 || !found->policy.counts_uses())
        continue;
      SH_ASSIGN_OR_RETURN(vault::UseCounter * current, counter(keystore, *found, target.vault, record, now_ms));
      takings.push_back({found, &target, key_scope, *current, {}});
    }
  }
  for (Taking& taking : takings) {
    const std::string& record = taking.key_scope ? taking.target->record : std::string();
    SH_RETURN_IF_ERROR(vault::take_uses(taking.entry->policy, scope_name(taking.target->vault, record), taking.counter,
                                        taking.target->uses, now_ms, taking.reservation));
  }
  std::vector<UseReservation> reservations;
  for (Taking& taking : takings) {
    *taking.entry->counter = taking.counter;
    if (taking.reservation.to != 0)
      reservations.push_back({taking.target->vault, taking.key_scope ? taking.target->record : std::string(),
                              taking.reservation.to, taking.reservation.wait});
  }
  return reservations;
}

void PolicyBook::reserved(const UseReservation& reservation) {
  const auto found = policies_.find(scope_key(reservation.vault, reservation.record));
  if (found == policies_.end() || !found->second.counter)
    return;
  vault::UseCounter& counter = *found->second.counter;
  if (counter.used <= reservation.uses)
    counter.durable = reservation.uses;
}

std::vector<UseReservation> PolicyBook::exact_counts() const {
  std::vector<UseReservation> exact;
  for (const auto& [key, entry] : policies_) {
    if (!entry.counter || entry.counter->used >= entry.counter->durable)
      continue;
    const std::size_t split = key.find('\0');
    exact.push_back({key.substr(0, split), key.substr(split + 1), entry.counter->used, true});
  }
  return exact;
}

void PolicyBook::changed(const std::string& vault, const std::string& record, std::optional<vault::Policy> policy) {
  const std::string key = scope_key(vault, record);
  if (!policy) {
    policies_.erase(key);
    return;
  }
  Entry& changed = policies_[key];
  changed.policy = std::move(*policy);
  changed.set_here = true;
  if (changed.counter)
    changed.counter->bucket_started = false;  // a new rate starts full
}

Result<PolicyState> PolicyBook::show(const vault::Keystore& keystore, const std::string& vault,
                                     const std::string& record) {
  SH_ASSIGN_OR_RETURN(Entry * found, entry(keystore, vault, record));
  PolicyState state;
  if (found == nullptr)
    return state;
  state.present = true;
  state.rules = to_rules(found->policy);
  if (found->policy.counts_uses()) {
    SH_ASSIGN_OR_RETURN(vault::UseCounter * current, counter(keystore, *found, vault, record, 0));
    state.uses = current->used;
  }
  return state;
}

bool PolicyBook::governs(const vault::Keystore& keystore, const vault::Location& location) {
  if (!vault::vault_has_policies(keystore, location.vault))
    return false;
  for (const std::string& record : {std::string(), location.record}) {
    auto found = entry(keystore, location.vault, record);
    if (!found.ok() || *found != nullptr)
      return true;  // a policy that cannot be read governs too: the actor path reports it
  }
  return false;
}

PolicyRules to_rules(const vault::Policy& policy) {
  PolicyRules rules;
  if (!policy.kinds.is_all())
    for (std::uint16_t kind = 0; kind < vault::kKindLimit; ++kind)
      if (policy.kinds.contains(kind))
        rules.kinds.push_back(kind);
  rules.callers = policy.callers;
  rules.max_uses = policy.max_uses;
  rules.rate_count = policy.rate.count;
  rules.rate_seconds = policy.rate.seconds;
  rules.not_before = policy.not_before;
  rules.not_after = policy.not_after;
  rules.path_prefixes = policy.path_prefixes;
  rules.max_message = policy.max_message;
  rules.allow_prehashed = policy.allow_prehashed;
  return rules;
}

Result<vault::Policy> to_policy(const PolicyRules& rules) {
  vault::Policy policy;
  if (!rules.kinds.empty()) {
    policy.kinds = vault::KindSet();
    for (const std::uint16_t kind : rules.kinds) {
      if (!is_request_kind(kind))
        return error(Errc::invalid_argument, "a policy names request kind {}, which does not exist", kind);
      policy.kinds.add(kind);
    }
  }
  policy.callers = rules.callers;
  policy.max_uses = rules.max_uses;
  policy.rate = {rules.rate_count, rules.rate_seconds};
  policy.not_before = rules.not_before;
  policy.not_after = rules.not_after;
  policy.path_prefixes = rules.path_prefixes;
  policy.max_message = rules.max_message;
  policy.allow_prehashed = rules.allow_prehashed;
  SH_RETURN_IF_ERROR(policy.check());
  return policy;
}

}  // namespace stronghold::actors

// The vault actor's policies (vault/policy.hpp): what each request names, the policies that
// govern it, and the use counts of those that count (internal to the actor floor).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "stronghold/actors/requests.hpp"
#include "stronghold/vault/keystore.hpp"
#include "stronghold/vault/policy.hpp"

namespace stronghold::actors {

// What a request asks of the policies: the keys and vaults it names, read from its fields (see
// requests.hpp).
struct PolicedTarget {
  std::string vault;
  std::string record;  // empty: the vault only
  std::uint64_t uses = 0;
  std::string_view derivation_path;
};

struct PolicyFacts {
  RequestKind kind{};
  std::vector<PolicedTarget> targets;
  bool every_vault = false;  // an export of every vault
  std::size_t longest_message = 0;
  bool prehashed = false;
  std::vector<ByteView> messages;  // into the request: what the audit log digests
};

template <EngineRequest R>
PolicyFacts policy_facts(const R& request) {
  PolicyFacts facts{kind_of<R>, {}, false, 0, false, {}};
  constexpr bool kUses = [] {
    if constexpr (requires { R::kUsesSecret; })
      return R::kUsesSecret;
    else
      return true;
  }();
  std::uint64_t uses = kUses ? 1 : 0;
  if constexpr (requires { request.messages; }) {
    uses = kUses ? request.messages.size() : 0;
    facts.messages.reserve(request.messages.size());
    for (const Bytes& message : request.messages) {
      facts.longest_message = std::max(facts.longest_message, message.size());
      facts.messages.emplace_back(message);
    }
  }
  if constexpr (requires { request.message; }) {
    facts.longest_message = request.message.size();
    facts.messages.emplace_back(request.message);
  }
  if constexpr (requires { request.options.prehashed; })
    facts.prehashed = request.options.prehashed;
  if constexpr (requires { request.at.record; })
    facts.targets.push_back({request.at.vault, request.at.record, uses, {}});
  if constexpr (requires { request.seed.record; })
    facts.targets.push_back({request.seed.vault, request.seed.record, 1, request.path});
  if constexpr (requires { request.sign_with.record; })
    facts.targets.push_back({request.sign_with.vault, request.sign_with.record, 1, {}});
  if constexpr (requires { request.key.record; })
    facts.targets.push_back({request.key.vault, request.key.record, 1, {}});
  if constexpr (requires { request.with.record; })
    facts.targets.push_back({request.with.vault, request.with.record, 1, {}});
  if constexpr (requires { request.into.record; })
    facts.targets.push_back({request.into.vault, request.into.record, 0, {}});
  if constexpr (requires {
                  request.vault.size();
                  request.record.size();
                })
    facts.targets.push_back({request.vault, request.record, 0, {}});
  else if constexpr (requires { request.vault.size(); })
    if (!request.vault.empty())
      facts.targets.push_back({request.vault, {}, 0, {}});
  if constexpr (requires { request.vaults; }) {
    facts.every_vault = request.vaults.empty();
    for (const std::string& vault : request.vaults)
      facts.targets.push_back({vault, {}, 0, {}});
  }
  return facts;
}

// A use reservation to make durable: before the request runs when `wait`, else alongside it.
struct UseReservation {
  std::string vault;
  std::string record;
  std::uint64_t uses = 0;
  bool wait = false;
};

class PolicyBook {
 public:
  using Clock = vault::Keystore::Clock;

  // Checks the request against the policy of every vault and key it names and takes its uses;
  // denied (nothing taken) when one refuses. The answer lists the reservations to make durable
  // (usually none).
  Result<std::vector<UseReservation>> admit(const vault::Keystore& keystore, const PolicyFacts& facts,
                                            const vault::Caller& caller, std::int64_t now_ms);
  // A reservation is durable.
  void reserved(const UseReservation& reservation);
  // The counts whose reservation runs ahead of their uses, as reservations of exactly the uses
  // made: what a clean close writes.
  std::vector<UseReservation> exact_counts() const;
  // The policy of a vault (record empty) or key changed to `policy` (nullopt: none).
  void changed(const std::string& vault, const std::string& record, std::optional<vault::Policy> policy);
  // Policies may have changed anywhere (an import): read them again.
  void forget_all() { policies_.clear(); }
  // What `policy show` prints.
  Result<PolicyState> show(const vault::Keystore& keystore, const std::string& vault, const std::string& record);
  // Whether the key, or its vault, has a policy: its signatures go through the vault actor.
  bool governs(const vault::Keystore& keystore, const vault::Location& location);
  // How many vaults and keys the book remembers: at most those with a policy.
  std::size_t remembered() const { return policies_.size(); }

 private:
  struct Entry {
    vault::Policy policy;
    std::optional<vault::UseCounter> counter;  // read when first needed
    bool set_here = false;                     // set while the engine runs: its rate starts full
  };
  static std::string scope_key(const std::string& vault, const std::string& record);
  // The vault's or key's entry; null when it has no policy.
  Result<Entry*> entry(const vault::Keystore& keystore, const std::string& vault, const std::string& record);
  Result<vault::UseCounter*> counter(const vault::Keystore& keystore, Entry& entry, const std::string& vault,
                                     const std::string& record, std::int64_t now_ms);
  std::map<std::string, Entry> policies_;  // by scope_key; only scopes with a policy, so no caller can grow it
};

// vault::Policy and the rules requests carry.
PolicyRules to_rules(const vault::Policy& policy);
Result<vault::Policy> to_policy(const PolicyRules& rules);

}  // namespace stronghold::actors

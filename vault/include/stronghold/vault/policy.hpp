// Policies: what may be done with a vault's keys, by whom, how often and until when.
//
// A policy belongs to a vault (it governs every record of the vault) or to one key (it narrows its
// vault's: a request must pass both). No policy means everything is allowed, as for a snapshot
// made before policies existed. Rules:
//   - kinds: the request kinds allowed (numbers of the actor floor's vocabulary; this floor does
//     not know their names);
//   - callers: who may ask ("owner", "uid:1000", "client:alice"); empty: anyone who can ask;
//   - max_uses: how many uses of the key's secret (a signature, a derivation, a MAC ...) in its
//     whole life; a batch of N messages is N uses;
//   - rate: a token bucket, `count` uses per `seconds`: full when the policy is set, empty after
//     the engine restarts (so a crash never grants more), refilled continuously;
//   - not_before / not_after: the validity window, in unix seconds (a key's own expiry still
//     applies as well: the earlier end wins);
//   - path_prefixes: for derivation from a seed (or a derived key: its paths are relative to the
//     key), the SLIP-10 paths allowed (by whole segments);
//   - max_message: the longest message a signature may cover;
//   - allow_prehashed: whether a secp256k1 key may sign a caller's 32-byte digest as it is.
//
// Policies and use counts are records of companion vaults of their vault (companion_location):
// sealed like any record, journaled, exported and imported with their vault. No user location can
// name a companion vault (its path starts with a control character). The chain codes of derived
// keys (slip10.hpp) live in a companion vault too, so that they go where their keys go.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stronghold/runtime/status.hpp"
#include "stronghold/vault/keystore.hpp"
#include "stronghold/vault/location.hpp"

namespace stronghold::vault {

// Request kinds as numbers below kKindLimit.
inline constexpr std::uint16_t kKindLimit = 128;

class KindSet {
 public:
  static KindSet all() noexcept;
  bool contains(std::uint16_t kind) const noexcept;
  void add(std::uint16_t kind) noexcept;  // kinds at or above kKindLimit are ignored
  bool is_all() const noexcept;
  auto operator<=>(const KindSet&) const = default;

 private:
  friend struct PolicyCodec;
  std::array<std::uint64_t, 2> bits_{};
};

// Who asks: the name an application gave its engine ("owner" unless it chose another), or
// "uid:N" for a process strongholdd served; `client` is the client identity a connection proved
// (empty when none). A policy's caller entry "client:NAME" matches that identity.
inline constexpr std::string_view kOwner = "owner";
struct Caller {
  std::string name{kOwner};
  std::string client;

  bool matches(std::string_view entry) const;
  // The application that opened the snapshot with its password (the default name): it may
  // always set and show policies, so that none can lock it out.
  bool is_owner() const noexcept { return name == kOwner && client.empty(); }
  // "owner", "uid:1000 client:alice": for messages and the audit log.
  std::string to_string() const;
};

struct RateLimit {
  std::uint32_t count = 0;  // 0: no rate limit
  std::uint32_t seconds = 0;
  auto operator<=>(const RateLimit&) const = default;
};

inline constexpr std::size_t kMaxPolicyCallers = 64;
inline constexpr std::size_t kMaxPolicyPrefixes = 64;
inline constexpr std::size_t kMaxCallerLength = 255;

struct Policy {
  KindSet kinds = KindSet::all();
  std::vector<std::string> callers;  // empty: any caller
  std::uint64_t max_uses = 0;        // 0: no limit
  RateLimit rate;
  std::int64_t not_before = 0;             // unix seconds; 0: none
  std::int64_t not_after = 0;              // unix seconds; 0: none
  std::vector<std::string> path_prefixes;  // empty: any derivation path
  std::uint64_t max_message = 0;           // bytes; 0: no limit
  bool allow_prehashed = true;

  // invalid_argument for a rule out of range (a caller name too long, too many prefixes, a rate
  // of zero seconds, a window that ends before it starts).
  Status check() const;
  // Whether any rule limits anything: a policy that allows everything is no policy.
  bool restricts() const;
  // Whether the rule needs the engine's count of uses (max_uses or rate).
  bool counts_uses() const noexcept { return max_uses != 0 || rate.count != 0; }
  bool operator==(const Policy&) const = default;

  Bytes encode() const;
  // corrupted for bytes that are no policy.
  static Result<Policy> decode(ByteView bytes);
};

// What one request asks of a policed key or vault.
struct PolicedRequest {
  std::uint16_t kind = 0;
  std::string_view kind_name;  // for the message of a refusal
  const Caller* caller = nullptr;
  std::uint64_t uses = 0;  // uses of the secret it makes (0 for a request that uses none)
  std::size_t longest_message = 0;
  bool prehashed = false;
  std::string_view derivation_path;  // empty: no derivation
};

// denied ("denied by policy of w/key: <rule>") when a rule that needs no count refuses the
// request at `now` (unix seconds); `scope` names the policy's vault or key.
Status check_policy(const Policy& policy, std::string_view scope, const PolicedRequest& request, std::int64_t now);

// Whether a denial's message (check_policy, take_uses) names the rate limit as its rule.
bool is_rate_limit_denial(std::string_view message) noexcept;

// The counted rules' state of one policy. Uses are made durable ahead, a block at a time (one
// journal entry per block, not per use), and the next block is reserved in the background when
// half of the current one is used, so a request waits for a reservation only when it outruns
// them. A restart resumes from the reservation, so a crash may waste the rest of one block but
// never grants one use more than max_uses. A block is max_uses / 1024 uses, at most
// kUseReservation (so at most 0.1% of max_uses is ever wasted; below 1024 uses every use is
// written before it is made); a clean close writes the exact count. The token bucket is not
// stored: it restarts empty, which can only lower the rate.
inline constexpr std::uint64_t kUseReservation = 4096;
std::uint64_t reservation_block(std::uint64_t max_uses) noexcept;

struct UseCounter {
  std::uint64_t used = 0;
  std::uint64_t durable = 0;  // uses recorded durably as taken (a reservation)
  std::uint64_t pending = 0;  // the highest reservation being written
  double tokens = 0;
  std::int64_t refilled_ms = 0;  // unix milliseconds of the bucket's last refill
  bool bucket_started = false;   // a bucket not started yet is full at its first use

  // The counter of a policy read back from the snapshot after a start: every reserved use counts
  // as made, and the bucket starts empty at `now_ms`, so a restart never grants more.
  static UseCounter resumed(std::uint64_t reserved, std::int64_t now_ms);
};

// A reservation to write: `to` uses (0: none); `wait`: the request's uses are beyond what is
// durable, so it runs only once this is written.
struct Reservation {
  std::uint64_t to = 0;
  bool wait = false;
};

// Takes `uses` uses at `now_ms` (unix milliseconds) when max_uses and the rate allow them;
// denied otherwise, and nothing is taken. On success `reservation` says what to write.
Status take_uses(const Policy& policy, std::string_view scope, UseCounter& counter, std::uint64_t uses,
                 std::int64_t now_ms, Reservation& reservation);

// ---- storage

// The record of the policy (or the use count) of `of`: a key, or a vault when its record is
// empty; or the chain code of a derived key. Companion vaults are reserved: no user location names
// one.
enum class Companion : std::uint8_t { policy, uses, chain };
Location companion_location(Companion which, const std::string& vault, const std::string& record);
bool is_companion_vault(std::string_view path) noexcept;
// A companion's record read from an export: of a valid user vault, for the vault or a valid record
// path (corrupted otherwise).
Status check_companion(const Location& location);

// Whether the vault has any policy at all (one lookup: the common case of no policies is cheap).
bool vault_has_policies(const Keystore& keystore, const std::string& vault);
// The user vaults that have policies (an export of every vault asks each of them).
std::vector<std::string> policed_vaults(const Keystore& keystore);
// The stored policy of a vault (record empty) or key; not_found when there is none.
Result<Policy> read_policy(const Keystore& keystore, const std::string& vault, const std::string& record);
// Stores `policy` (removes the stored one when it restricts nothing).
Status write_policy(Transaction& tx, const std::string& vault, const std::string& record, const Policy& policy);
// The durable use reservation of a vault or key: 0 when none was written.
Result<std::uint64_t> read_reserved_uses(const Keystore& keystore, const std::string& vault, const std::string& record);
Status write_reserved_uses(Transaction& tx, const std::string& vault, const std::string& record, std::uint64_t uses);

}  // namespace stronghold::vault

#include "stronghold/vault/policy.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "companion_records.hpp"
#include "stronghold/runtime/byte_codec.hpp"

namespace stronghold::vault {

// ---- kinds and callers

KindSet KindSet::all() noexcept {
  KindSet set;
  set.bits_ = {~std::uint64_t{0}, ~std::uint64_t{0}};
  return set;
}

bool KindSet::contains(std::uint16_t kind) const noexcept {
  return kind < kKindLimit && ((bits_[kind / 64] >> (kind % 64)) & 1u) != 0;
}

void KindSet::add(std::uint16_t kind) noexcept {
  if (kind < kKindLimit)
    bits_[kind / 64] |= std::uint64_t{1} << (kind % 64);
}

bool KindSet::is_all() const noexcept { return *this == all(); }

bool Caller::matches(std::string_view entry) const {
  constexpr std::string_view kClient = "client:";
  if (entry.starts_with(kClient))
    return !client.empty() && entry.substr(kClient.size()) == client;
  return entry == name;
}

std::string Caller::to_string() const { return client.empty() ? name : name + " client:" + client; }

// ---- the policy's own checks and its encoding

Status Policy::check() const {
  if (callers.size() > kMaxPolicyCallers)
    return error(Errc::invalid_argument, "a policy names at most {} callers", kMaxPolicyCallers);
  for (const std::string& caller : callers)
    if (caller.empty() || caller.size() > kMaxCallerLength)
      return error(Errc::invalid_argument, "a caller name is 1 to {} bytes", kMaxCallerLength);
  if (path_prefixes.size() > kMaxPolicyPrefixes)
    return error(Errc::invalid_argument, "a policy names at most {} path prefixes", kMaxPolicyPrefixes);
  for (const std::string& prefix : path_prefixes)
    if (prefix.empty() || prefix.size() > kMaxPathLength)
      return error(Errc::invalid_argument, "a path prefix is 1 to {} bytes", kMaxPathLength);
  if ((rate.count == 0) != (rate.seconds == 0))
    return Status(Errc::invalid_argument, "a rate limit is N uses per S seconds, both above 0");
  if (not_before < 0 || not_after < 0 || (not_after != 0 && not_after < not_before))
    return Status(Errc::invalid_argument, "a validity window ends after it starts, in unix seconds");
  return {};
}

bool Policy::restricts() const { return !(*this == Policy{}); }

namespace {

constexpr std::uint8_t kPolicyFormat = 1;
constexpr std::size_t kMaxPolicyList = 64;

void write_list(ByteWriter& out, const std::vector<std::string>& items) {
  out.varint(items.size());
  for (const std::string& item : items)
    out.text(item);
}

bool read_list(ByteReader& in, std::vector<std::string>& items) {
  std::uint64_t count = 0;
  if (!in.varint(count) || count > kMaxPolicyList)
    return false;
  items.resize(static_cast<std::size_t>(count));
  for (std::string& item : items)
    if (!in.text(item, kMaxPathLength))
      return false;
  return true;
}

}  // namespace

struct PolicyCodec {
  static void write(ByteWriter& out, const Policy& policy) {
    out.u8(kPolicyFormat);
    out.u64(policy.kinds.bits_[0]);
    out.u64(policy.kinds.bits_[1]);
    write_list(out, policy.callers);
    out.varint(policy.max_uses);
    out.varint(policy.rate.count);
    out.varint(policy.rate.seconds);
    out.signed_varint(policy.not_before);
    out.signed_varint(policy.not_after);
    write_list(out, policy.path_prefixes);
    out.varint(policy.max_message);
    out.u8(policy.allow_prehashed ? 1 : 0);
  }

  static bool read(ByteReader& in, Policy& policy) {
    std::uint8_t format = 0;
    std::uint64_t rate_count = 0;
    std::uint64_t rate_seconds = 0;
    std::uint8_t prehashed = 0;
    const bool read = in.u8(format) && format == kPolicyFormat && in.u64(policy.kinds.bits_[0]) &&
                      in.u64(policy.kinds.bits_[1]) && read_list(in, policy.callers) && in.varint(policy.max_uses) &&
                      in.varint(rate_count) && in.varint(rate_seconds) && in.signed_varint(policy.not_before) &&
                      in.signed_varint(policy.not_after) && read_list(in, policy.path_prefixes) &&
                      in.varint(policy.max_message) && in.u8(prehashed) && prehashed <= 1 && in.remaining() == 0 &&
                      rate_count <= UINT32_MAX && rate_seconds <= UINT32_MAX;
    policy.rate = {static_cast<std::uint32_t>(rate_count), static_cast<std::uint32_t>(rate_seconds)};
    policy.allow_prehashed = prehashed == 1;
    return read;
  }
};

Bytes Policy::encode() const {
  Bytes bytes;
  ByteWriter out(bytes);
  PolicyCodec::write(out, *this);
  return bytes;
}

Result<Policy> Policy::decode(ByteView bytes) {
  Policy policy;
  ByteReader in(bytes);
  if (!PolicyCodec::read(in, policy) || !policy.check().ok())
    return Status(Errc::corrupted, "a stored policy does not decode");
  return policy;
}

// ---- deciding

namespace {

constexpr std::string_view kRateLimitRule = ": rate limit of ";

Status denied(std::string_view scope, std::string_view rule) {
  return error(Errc::denied, "denied by policy of {}: {}", scope, rule);
}

// "m/44h/0H" and "m/44'/0'" are the same path.
std::string normalized_path(std::string_view path) {
  std::string normal(path);
  std::replace_if(
      normal.begin(), normal.end(), [](char c) { return c == 'h' || c == 'H'; }, '\'');
  return normal;
}

// Whether `path` is `prefix` or lies below it, by whole segments.
bool under_prefix(const std::string& path, const std::string& prefix) {
  return path == prefix || (path.starts_with(prefix) && (prefix.ends_with('/') || path[prefix.size()] == '/'));
}

bool path_allowed(const Policy& policy, std::string_view derivation_path) {
  const std::string path = normalized_path(derivation_path);
  return std::any_of(policy.path_prefixes.begin(), policy.path_prefixes.end(),
                     [&](const std::string& prefix) { return under_prefix(path, normalized_path(prefix)); });
}

}  // namespace

Status check_policy(const Policy& policy, std::string_view scope, const PolicedRequest& request, std::int64_t now) {
  if (!policy.kinds.contains(request.kind))
    return denied(scope, fmt::format("{} requests are not allowed", request.kind_name));
  if (!policy.callers.empty() &&
      std::none_of(policy.callers.begin(), policy.callers.end(), [&](const std::string& entry) {
        return request.caller != nullptr && request.caller->matches(entry);
      }))
    return denied(scope, fmt::format("caller {} is not among the allowed callers",
                                     request.caller != nullptr ? request.caller->to_string() : "(none)"));
  if (policy.not_before != 0 && now < policy.not_before)
    return denied(scope, fmt::format("not valid before unix time {}", policy.not_before));
  if (policy.not_after != 0 && now >= policy.not_after)
    return denied(scope, fmt::format("not valid after unix time {}", policy.not_after));
  if (!request.derivation_path.empty() && !policy.path_prefixes.empty() &&
      !path_allowed(policy, request.derivation_path))
    return denied(scope, fmt::format("derivation path {} is outside the allowed prefixes", request.derivation_path));
  if (policy.max_message != 0 && request.longest_message > policy.max_message)
    return denied(scope, fmt::format("a message of {} bytes is longer than the {} allowed", request.longest_message,
                                     policy.max_message));
  if (request.prehashed && !policy.allow_prehashed)
    return denied(scope, "prehashed digests are not allowed");
  return {};
}

namespace {

// Refills the bucket for the time since its last refill (full when it starts).
void refill(const RateLimit& rate, UseCounter& counter, std::int64_t now_ms) {
  if (!counter.bucket_started) {
    counter.tokens = rate.count;
    counter.refilled_ms = now_ms;
    counter.bucket_started = true;
    return;
  }
  const std::int64_t elapsed_ms = std::max<std::int64_t>(0, now_ms - counter.refilled_ms);
  const double per_ms = static_cast<double>(rate.count) / (static_cast<double>(rate.seconds) * 1000.0);
  counter.tokens = std::min<double>(rate.count, counter.tokens + static_cast<double>(elapsed_ms) * per_ms);
  counter.refilled_ms = std::max(counter.refilled_ms, now_ms);
}

}  // namespace

std::uint64_t reservation_block(std::uint64_t max_uses) noexcept { return std::min(kUseReservation, max_uses / 1024); }

Status take_uses(const Policy& policy, std::string_view scope, UseCounter& counter, std::uint64_t uses,
                 std::int64_t now_ms, Reservation& reservation) {
  reservation = {};
  if (policy.max_uses != 0 && (counter.used > policy.max_uses || uses > policy.max_uses - counter.used))
    return denied(scope, fmt::format("used {} of its {} uses", counter.used, policy.max_uses));
  if (policy.rate.count != 0) {
    refill(policy.rate, counter, now_ms);
    if (static_cast<double>(uses) > counter.tokens)
      return denied(scope, fmt::format("{}{} uses per {} s reached", kRateLimitRule.substr(2), policy.rate.count,
                                       policy.rate.seconds));
    counter.tokens -= static_cast<double>(uses);
  }
  counter.used += uses;
  if (policy.max_uses == 0)
    return {};
  const std::uint64_t block = reservation_block(policy.max_uses);
  const std::uint64_t ahead = std::max(counter.durable, counter.pending);
  if (counter.used > counter.durable)
    reservation = {std::min(policy.max_uses, counter.used + block), true};
  else if (counter.used + block / 2 > ahead && ahead < policy.max_uses)
    reservation = {std::min(policy.max_uses, counter.used + block), false};
  counter.pending = std::max(counter.pending, reservation.to);
  return {};
}

UseCounter UseCounter::resumed(std::uint64_t reserved, std::int64_t now_ms) {
  UseCounter counter;
  counter.used = reserved;
  counter.durable = reserved;
  counter.pending = reserved;
  counter.refilled_ms = now_ms;
  counter.bucket_started = true;
  return counter;
}

// ---- storage in companion vaults

namespace {

constexpr std::string_view kPolicyVaultPrefix = "\x02policy:";
constexpr std::string_view kUsesVaultPrefix = "\x02uses:";
constexpr std::string_view kChainVaultPrefix = "\x02chain:";
constexpr std::string_view kCompanionPrefixes[] = {kPolicyVaultPrefix, kUsesVaultPrefix, kChainVaultPrefix};
const std::string kVaultRecord("\x01vault", 6);  // the vault's own policy or count

std::string prefixed(std::string_view prefix, std::string_view rest) {
  std::string path(prefix);
  path += rest;
  return path;
}

}  // namespace

Location companion_location(Companion which, const std::string& vault, const std::string& record) {
  return Location{prefixed(kCompanionPrefixes[static_cast<std::size_t>(which)], vault),
                  record.empty() ? kVaultRecord : record};
}

bool is_companion_vault(std::string_view path) noexcept {
  return std::ranges::any_of(kCompanionPrefixes, [&](std::string_view prefix) { return path.starts_with(prefix); });
}

Status check_companion(const Location& location) {
  const std::string_view prefix = *std::ranges::find_if(
      kCompanionPrefixes, [&](std::string_view candidate) { return location.vault.starts_with(candidate); });
  const std::string_view vault = std::string_view(location.vault).substr(prefix.size());
  // A vault's own policy or count has the reserved record name; a chain code is always a key's.
  const Status valid = location.record == kVaultRecord && prefix != kChainVaultPrefix
                           ? Location::check_vault(vault)
                           : Location::make(vault, location.record).status();
  if (!valid.ok())
    return error(Errc::corrupted, "a companion record is not of a valid location: {}", valid.message());
  return {};
}

bool vault_has_policies(const Keystore& keystore, const std::string& vault) {
  return keystore.has_vault(companion_location(Companion::policy, vault, {}).vault);
}

std::vector<std::string> policed_vaults(const Keystore& keystore) {
  std::vector<std::string> vaults;
  for (const std::string& path : keystore.vault_paths())
    if (path.starts_with(kPolicyVaultPrefix))
      vaults.push_back(path.substr(kPolicyVaultPrefix.size()));
  return vaults;
}

Result<Policy> read_policy(const Keystore& keystore, const std::string& vault, const std::string& record) {
  SH_ASSIGN_OR_RETURN(const Bytes encoded,
                      CompanionRecords::read(keystore, companion_location(Companion::policy, vault, record)));
  return Policy::decode(encoded);
}

Status write_policy(Transaction& tx, const std::string& vault, const std::string& record, const Policy& policy) {
  SH_RETURN_IF_ERROR(policy.check());
  const Location location = companion_location(Companion::policy, vault, record);
  if (!policy.restricts())
    return CompanionRecords::remove(tx, location);
  return CompanionRecords::put(tx, location, policy.encode());
}

Result<std::uint64_t> read_reserved_uses(const Keystore& keystore, const std::string& vault,
                                         const std::string& record) {
  auto encoded = CompanionRecords::read(keystore, companion_location(Companion::uses, vault, record));
  if (encoded.status().code() == Errc::not_found)
    return std::uint64_t{0};
  SH_RETURN_IF_ERROR(encoded.status());
  ByteReader in(*encoded);
  std::uint64_t uses = 0;
  if (!in.varint(uses) || in.remaining() != 0)
    return Status(Errc::corrupted, "a stored use count does not decode");
  return uses;
}

Status write_reserved_uses(Transaction& tx, const std::string& vault, const std::string& record, std::uint64_t uses) {
  Bytes encoded;
  ByteWriter(encoded).varint(uses);
  return CompanionRecords::put(tx, companion_location(Companion::uses, vault, record), encoded);
}

bool is_rate_limit_denial(std::string_view message) noexcept {
  return message.starts_with("denied by policy of ") && message.find(kRateLimitRule) != std::string_view::npos;
}

}  // namespace stronghold::vault

#include "cluster/etcd_journal.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <utility>

#include "stronghold/runtime/hex.hpp"

namespace stronghold::cluster {

using Json = nlohmann::json;

struct EtcdJournal::Answer {
  Json json;
};

namespace {

// The most an answer of etcd may hold. An entry is at most about 1.5 MiB (etcd refuses larger
// requests), 2 MiB in base64: a transaction's answer holds at most two of them; a read at most
// kReadLimit; a watch is read only until it says an event came.
constexpr std::size_t kMaxTxnAnswer = std::size_t{5} << 20;
constexpr int kReadLimit = 8;
constexpr std::size_t kMaxReadAnswer = std::size_t{20} << 20;
constexpr std::size_t kMaxWatchBytes = std::size_t{64} << 10;
// A lease's, a put's, the head's, the member list's answers: small.
constexpr std::size_t kMaxSmallAnswer = std::size_t{256} << 10;
// The nodes `cluster status` lists.
constexpr int kMaxNodes = 256;
// etcd's answers nest four levels deep; anything deeper is not etcd's, and is not built.
constexpr int kMaxJsonDepth = 8;

// `object[name]`, or null when `object` is no object or has no such member: what etcd answers is
// never trusted to have a shape (nlohmann's const operator[] requires the member).
const Json& member(const Json& object, const char* name) {
  static const Json null;
  if (!object.is_object())
    return null;
  const auto found = object.find(name);
  return found == object.end() ? null : *found;
}
bool flag(const Json& object, const char* name) {
  const Json& value = member(object, name);
  return value.is_boolean() && value.get<bool>();
}
std::string text(const Json& object, const char* name) {
  const Json& value = member(object, name);
  return value.is_string() ? value.get<std::string>() : std::string();
}

std::string base64(ByteView bytes) {
  std::string text(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  text.resize(text.size() - 1);  // the terminating NUL
  return text;
}
std::string base64(std::string_view text) {
  return base64(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

Result<Bytes> from_base64(const Json& field) {
  if (!field.is_string())
    return Status(Errc::corrupted, "etcd answered a value that is not base64 text");
  const std::string& text = field.get_ref<const std::string&>();
  Bytes bytes(text.size() / 4 * 3 + 3);
  std::size_t length = 0;
  if (sodium_base642bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return Status(Errc::corrupted, "etcd answered a value that is not base64");
  bytes.resize(length);
  return bytes;
}

// etcd's int64 fields come as JSON strings; absent means 0.
std::uint64_t number(const Json& object, const char* name) {
  const Json& found = member(object, name);
  if (found.is_number_unsigned())
    return found.get<std::uint64_t>();
  std::uint64_t value = 0;
  if (found.is_string()) {
    const std::string& digits = found.get_ref<const std::string&>();
    std::from_chars(digits.data(), digits.data() + digits.size(), value);
  }
  return value;
}

Bytes encode_position(const snapshot::ChainPosition& position) {
  Bytes bytes(8 + position.previous_tag.size());
  for (std::size_t i = 0; i < 8; ++i)
    bytes[i] = static_cast<std::uint8_t>(position.next_sequence >> (8 * i));
  std::copy(position.previous_tag.begin(), position.previous_tag.end(), bytes.begin() + 8);
  return bytes;
}

Result<snapshot::ChainPosition> decode_position(const Json& field) {
  SH_ASSIGN_OR_RETURN(const Bytes bytes, from_base64(field));
  snapshot::ChainPosition position;
  if (bytes.size() != 8 + position.previous_tag.size())
    return Status(Errc::corrupted, "the cluster's head in etcd is damaged");
  position.next_sequence = 0;  // not the default's 1: the bytes are ORed in
  for (std::size_t i = 0; i < 8; ++i)
    position.next_sequence |= std::uint64_t{bytes[i]} << (8 * i);
  std::copy(bytes.begin() + 8, bytes.end(), position.previous_tag.begin());
  return position;
}

// What a put of `key` to `value` is in a transaction.
Json put(const std::string& key, ByteView value) {
  return Json{{"request_put", {{"key", base64(key)}, {"value", base64(value)}}}};
}
Json range(const std::string& key) { return Json{{"request_range", {{"key", base64(key)}}}}; }

// A range, in a transaction, of the journal's first entry's key.
Json first_entry(const std::string& prefix) {
  return Json{{"request_range",
               {{"key", base64(prefix + "journal/")},
                {"range_end", base64(prefix + "journal0")},  // '0' follows '/': every entry key
                {"limit", "1"},
                {"keys_only", true}}}};
}

// The sequence number in an entry's key (`prefix` then 20 digits); nothing for another key.
std::optional<std::uint64_t> entry_sequence(ByteView key, std::string_view prefix) {
  const std::string_view name(reinterpret_cast<const char*>(key.data()), key.size());
  if (name.size() != prefix.size() + 20 || !name.starts_with(prefix))
    return std::nullopt;
  std::uint64_t sequence = 0;
  const auto [end, error] = std::from_chars(name.data() + prefix.size(), name.data() + name.size(), sequence);
  if (error != std::errc() || end != name.data() + name.size())
    return std::nullopt;
  return sequence;
}

// The kvs of the range response at `index` of a transaction's responses.
// (etcd leaves empty fields out.) Null when there is none.
const Json* range_kvs(const Json& answer, std::size_t index) {
  const Json& responses = member(answer, "responses");
  if (!responses.is_array() || responses.size() <= index)
    return nullptr;
  const Json& kvs = member(member(responses[index], "response_range"), "kvs");
  return kvs.is_array() && !kvs.empty() ? &kvs : nullptr;
}

// `text` with only printable ASCII kept, at most 200 bytes: etcd's words reach a terminal.
std::string printable(std::string_view text) {
  std::string kept;
  for (const char c : text.substr(0, 200))
    kept += (c >= 0x20 && c < 0x7f) ? c : '?';
  return kept;
}

Json parse_bounded(const std::string& body) {
  return Json::parse(
      body, [](int depth, Json::parse_event_t, Json&) { return depth <= kMaxJsonDepth; }, false);
}

// The address in a node's entry in etcd (`kv`: one of a range's kvs), printable; may be empty.
std::string node_address(const Json& kv) {
  const auto value = from_base64(member(kv, "value"));
  return value.ok() ? printable(text(parse_bounded(std::string(value->begin(), value->end())), "address"))
                    : std::string();
}

Status name_taken(const std::string& name, const std::string& address) {
  return Status(Errc::already_exists, "a node named '" + name + "' runs in this cluster already" +
                                          (address.empty() ? std::string() : " (at " + address + ")") +
                                          ": give each node its own --node-name");
}

// A put of a node's entry (its address and `position`) to `name_key` under `lease`.
Json node_entry(const std::string& name_key, const std::string& address, const std::string& lease,
                std::uint64_t position) {
  const std::string value = Json{{"address", address}, {"position", position}}.dump();
  return Json{{"key", base64(name_key)}, {"value", base64(value)}, {"lease", lease}};
}

Status etcd_error(const Endpoint& endpoint, const HttpResponse& response) {
  std::string message = "HTTP " + std::to_string(response.status);
  int code = 0;
  const Json error = parse_bounded(response.body);
  if (const std::string said = text(error, "error"); !said.empty())
    message = printable(said);
  else if (!error.is_object() && !response.body.empty())
    message += ": " + printable(response.body.substr(0, 160));  // "... an HTTP request to an HTTPS server"
  if (const Json& number = member(error, "code"); number.is_number_integer())
    code = number.get<int>();
  // gRPC's codes: 3 invalid argument (a request etcd refuses, such as one over its size limit).
  const Errc errc = code == 3 ? Errc::invalid_argument : Errc::unavailable;
  return Status(errc, "etcd at " + endpoint.text() + ": " + message);
}

bool valid_cluster_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

EtcdJournal::EtcdJournal(EtcdJournalOptions options, std::shared_ptr<const TlsClient> tls)
    : options_(std::move(options)), http_(std::move(tls)), prefix_("/stronghold/" + options_.cluster + "/") {}

Result<std::shared_ptr<EtcdJournal>> EtcdJournal::make(EtcdJournalOptions options) {
  if (options.endpoints.empty())
    return Status(Errc::invalid_argument, "no etcd endpoint");
  if (options.keep_entries == 0)
    return Status(Errc::invalid_argument, "etcd keeps at least the last entry of the journal: keep 1 or more");
  if (!valid_cluster_name(options.cluster))
    return Status(Errc::invalid_argument,
                  "a cluster name is 1 to 64 letters, digits, '-', '_' or '.': " + options.cluster.substr(0, 64));
  if (!valid_cluster_name(options.node_name))
    return Status(Errc::invalid_argument,
                  "a node name is 1 to 64 letters, digits, '-', '_' or '.': " + options.node_name.substr(0, 64));
  const bool tls = options.endpoints.front().tls;
  if (std::any_of(options.endpoints.begin(), options.endpoints.end(),
                  [tls](const Endpoint& endpoint) { return endpoint.tls != tls; }))
    return Status(Errc::invalid_argument, "etcd's endpoints are all https:// or all http://, not both");
  const remote::TlsFiles& files = options.tls;
  if (!tls && (!files.ca.empty() || !files.certificate.empty() || !files.key.empty()))
    return Status(Errc::invalid_argument, "TLS files for etcd go with https:// endpoints");
  std::shared_ptr<const TlsClient> client;
  if (tls) {
    SH_ASSIGN_OR_RETURN(client, TlsClient::make(files));
  }
  return std::shared_ptr<EtcdJournal>(new EtcdJournal(std::move(options), std::move(client)));
}

std::string EtcdJournal::entry_key(std::uint64_t sequence) const {
  char digits[24];
  (void)std::snprintf(digits, sizeof digits, "%020lu", static_cast<unsigned long>(sequence));
  return prefix_ + "journal/" + digits;
}

Result<EtcdJournal::Answer> EtcdJournal::call(std::string_view path, const std::string& body, std::size_t max_answer) {
  std::size_t first = 0;
  {
    std::lock_guard lock(mutex_);
    first = preferred_;
  }
  Status failure(Errc::unavailable, "no etcd endpoint");
  const std::size_t count = options_.endpoints.size();
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t at = (first + i) % count;
    const Endpoint& endpoint = options_.endpoints[at];
    auto response = http_.post(endpoint, path, body, options_.timeout, max_answer);
    if (!response.ok()) {
      failure = Status(response.status().code() == Errc::timeout ? Errc::unavailable : response.status().code(),
                       "etcd at " + endpoint.text() + ": " + response.status().message());
      continue;
    }
    if (response->status != 200) {
      failure = etcd_error(endpoint, *response);
      if (failure.code() == Errc::invalid_argument)
        return failure;  // every member would refuse it
      continue;
    }
    Json json = parse_bounded(response->body);
    if (!json.is_object()) {
      failure = Status(Errc::corrupted, "etcd at " + endpoint.text() + " answered something other than JSON");
      continue;
    }
    std::lock_guard lock(mutex_);
    preferred_ = at;
    return Answer{std::move(json)};
  }
  return failure;
}

Status EtcdJournal::attach(const std::array<std::uint8_t, 16>& file_id, const snapshot::ChainPosition& position) {
  durable_ = position.next_sequence;
  {
    // A start again (from another file: a live node's copy) may register again.
    std::lock_guard lock(lease_mutex_);
    stranded_ = false;
  }
  SH_ASSIGN_OR_RETURN(const std::uint64_t free_at, check_name_free());
  SH_RETURN_IF_ERROR(register_node(free_at));
  Status attached = check_attach(file_id, position);
  if (!attached.ok())
    strand();  // a refused node leaves the list at once, not when its lease runs out
  return attached;
}

Status EtcdJournal::check_attach(const std::array<std::uint8_t, 16>& file_id, const snapshot::ChainPosition& position) {
  const std::string id_key = key("file-id");
  const std::string head = key("head");
  const std::uint64_t next = position.next_sequence;
  // The first node sets both: the cluster's chain starts where its file stands.
  const Json txn{{"compare", Json::array({{{"target", "CREATE"}, {"key", base64(id_key)}, {"create_revision", "0"}}})},
                 {"success", Json::array({put(id_key, file_id), put(head, encode_position(position))})},
                 {"failure", Json::array({range(id_key), range(head), range(entry_key(next > 1 ? next - 1 : 0)),
                                          first_entry(prefix_)})}};
  SH_ASSIGN_OR_RETURN(const Answer answer, call("/v3/kv/txn", txn.dump(), kMaxTxnAnswer));
  if (flag(answer.json, "succeeded"))
    return {};
  const Json* id = range_kvs(answer.json, 0);
  const Json* chain_head = range_kvs(answer.json, 1);
  if (id == nullptr || chain_head == nullptr)
    return Status(Errc::corrupted, "the cluster '" + options_.cluster + "' in etcd has a file id without a head");
  SH_ASSIGN_OR_RETURN(const Bytes served, from_base64(member((*id)[0], "value")));
  if (served != Bytes(file_id.begin(), file_id.end()))
    return Status(Errc::invalid_argument, "the cluster '" + options_.cluster + "' serves another snapshot (file id " +
                                              to_hex(served) + "); this file's id is " + to_hex(file_id) +
                                              ": start from a copy of the cluster's file");
  SH_ASSIGN_OR_RETURN(const snapshot::ChainPosition ends, decode_position(member((*chain_head)[0], "value")));
  const auto outside = [&](const std::string& why) {
    return Status(Errc::corrupted, "this file's journal (at entry " + std::to_string(next) + ") " + why +
                                       ": it was written outside the cluster; start from a copy of a node's file");
  };
  if (next > ends.next_sequence)
    return outside("goes past the cluster's (at entry " + std::to_string(ends.next_sequence) + ")");
  if (next == ends.next_sequence && ends.previous_tag != position.previous_tag)
    return outside("ends on another entry than the cluster's");
  // Behind the head: the cluster's entry before this file's next must be the one it ends on.
  if (const Json* last = range_kvs(answer.json, 2); next < ends.next_sequence && last != nullptr) {
    SH_ASSIGN_OR_RETURN(const Bytes entry, from_base64(member((*last)[0], "value")));
    const auto& tag = position.previous_tag;
    if (entry.size() < tag.size() ||
        !std::equal(tag.begin(), tag.end(), entry.begin() + static_cast<std::ptrdiff_t>(entry.size() - tag.size())))
      return outside("left the cluster's at entry " + std::to_string(next - 1));
  }
  if (next < ends.next_sequence) {
    const Json* first = range_kvs(answer.json, 3);
    std::optional<std::uint64_t> starts;
    if (first != nullptr) {
      SH_ASSIGN_OR_RETURN(const Bytes name, from_base64(member((*first)[0], "key")));
      starts = entry_sequence(name, prefix_ + "journal/");
    }
    if (!starts.has_value() || *starts > next)
      return Status(Errc::expired,
                    "this file's journal ends before entry " + std::to_string(next) + ", which the cluster's journal " +
                        (starts.has_value() ? "(from entry " + std::to_string(*starts) + " on) " : std::string()) +
                        "no longer holds: start this node from a copy of a live node's file");
  }
  return {};
}

Result<std::uint64_t> EtcdJournal::lease_left(const std::string& lease) {
  SH_ASSIGN_OR_RETURN(const Answer answer, call("/v3/lease/timetolive", Json{{"ID", lease}}.dump(), kMaxSmallAnswer));
  // Absent (etcd's JSON leaves out zeros) or -1 (a lease etcd no longer has): 0.
  return number(answer.json, "TTL");
}

Result<std::uint64_t> EtcdJournal::check_name_free() {
  const Json entry{{"key", base64(key("nodes/" + options_.node_name))}};
  // A lease etcd renewed once more without its node (a new leader renews every lease) ends
  // within a second kNodeTtl.
  const auto deadline = std::chrono::steady_clock::now() + 2 * kNodeTtl + std::chrono::seconds(1);
  std::string lease, address;
  std::uint64_t revision = 0;
  for (bool first = true;; first = false) {
    SH_ASSIGN_OR_RETURN(const Answer found, call("/v3/kv/range", entry.dump(), kMaxSmallAnswer));
    const Json& kvs = member(found.json, "kvs");
    if (!kvs.is_array() || kvs.empty())
      return 0;  // no entry, or its lease ended
    const std::string held = text(kvs[0], "lease");
    const std::uint64_t modified = number(kvs[0], "mod_revision");
    {
      std::lock_guard lock(lease_mutex_);
      if (!held.empty() && held == lease_)
        return modified;  // this journal's own, from before a lock
    }
    if (!first && (held != lease || modified != revision))
      break;  // put again (a node renews its entry with its lease): its node runs
    lease = held;
    revision = modified;
    address = node_address(kvs[0]);
    if (lease.empty())
      return modified;  // no lease keeps it: no node does
    SH_ASSIGN_OR_RETURN(const std::uint64_t left, lease_left(lease));
    if (left == 0)
      return modified;
    if (std::chrono::steady_clock::now() >= deadline)
      break;  // renewed all along without a put: a node that runs
    if (first)
      (void)std::fprintf(stderr,
                         "strongholdd: a node named '%s' holds a lease for %llu s more: waiting for it to end (a "
                         "node killed a moment ago) or be renewed (a node that runs)\n",
                         printable(options_.node_name).c_str(), static_cast<unsigned long long>(left));
    std::this_thread::sleep_for(kNameLook);
  }
  return name_taken(options_.node_name, address);
}

Status EtcdJournal::register_node(std::optional<std::uint64_t> replacing) {
  const Json grant{{"TTL", std::to_string(kNodeTtl.count())}};
  SH_ASSIGN_OR_RETURN(const Answer granted, call("/v3/lease/grant", grant.dump(), kMaxSmallAnswer));
  const std::string lease = text(granted.json, "ID");
  if (lease.empty())
    return Status(Errc::corrupted, "etcd granted a lease without an id");
  if (replacing.has_value()) {
    SH_RETURN_IF_ERROR(claim_name(lease, *replacing));
  } else {
    SH_RETURN_IF_ERROR(put_node_entry(lease, durable_));
  }
  std::lock_guard lock(lease_mutex_);
  lease_ = lease;
  renewed_ = std::chrono::steady_clock::now();
  return {};
}

Status EtcdJournal::claim_name(const std::string& lease, std::uint64_t replacing) {
  // etcd counts a missing key's revision as 0.
  const std::string name_key = key("nodes/" + options_.node_name);
  const Json put_entry{{"request_put", node_entry(name_key, options_.node_address, lease, durable_)}};
  const Json txn{
      {"compare",
       Json::array({{{"target", "MOD"}, {"key", base64(name_key)}, {"mod_revision", std::to_string(replacing)}}})},
      {"success", Json::array({put_entry})},
      {"failure", Json::array({range(name_key)})}};
  SH_ASSIGN_OR_RETURN(const Answer answer, call("/v3/kv/txn", txn.dump(), kMaxSmallAnswer));
  if (flag(answer.json, "succeeded"))
    return {};
  const Json* taken = range_kvs(answer.json, 0);
  // An entry whose lease ended between check_name_free's look (which saw it with less than a
  // second left) and this transaction is gone: the name is free.
  if (taken == nullptr && replacing != 0)
    return claim_name(lease, 0);
  const std::string held = taken != nullptr ? text((*taken)[0], "lease") : std::string();
  if (!held.empty() && held == lease)
    return {};  // the transaction was sent again after etcd applied it (HttpClient::post)
  {
    std::lock_guard lock(lease_mutex_);
    if (!held.empty() && held == lease_)  // this journal's renewal put it again meanwhile
      return put_node_entry(lease, durable_);
  }
  (void)call("/v3/lease/revoke", Json{{"ID", lease}}.dump(), kMaxSmallAnswer);
  return name_taken(options_.node_name, taken != nullptr ? node_address((*taken)[0]) : std::string());
}

Status EtcdJournal::put_node_entry(const std::string& lease, std::uint64_t position) {
  const Json entry = node_entry(key("nodes/" + options_.node_name), options_.node_address, lease, position);
  return call("/v3/kv/put", entry.dump(), kMaxSmallAnswer).status();
}

void EtcdJournal::keep_registered() {
  std::string lease;
  {
    std::lock_guard lock(lease_mutex_);
    if (stranded_ || std::chrono::steady_clock::now() - renewed_ < kNodeRenewal)
      return;
    lease = lease_;
    renewed_ = std::chrono::steady_clock::now();  // one try per period, whatever comes of it
  }
  const auto kept = lease.empty() ? Result<Answer>(Status(Errc::not_found, "no lease"))
                                  : call("/v3/lease/keepalive", Json{{"ID", lease}}.dump(), kMaxSmallAnswer);
  // A lease etcd forgot (it expired while etcd or this node was away) comes back without a TTL.
  if (!kept.ok() || number(member(kept->json, "result"), "TTL") == 0) {
    (void)register_node();
    return;
  }
  // Put again at every renewal, changed or not: another process under this node's name may have
  // overwritten the entry, or removed it with its own lease.
  (void)put_node_entry(lease, durable_);
  trim();
}

EtcdJournal::~EtcdJournal() {
  try {
    strand();
  } catch (...) {  // out of memory building the request: the lease ends by itself within kNodeTtl
  }
}

void EtcdJournal::strand() {
  std::string lease;
  {
    std::lock_guard lock(lease_mutex_);
    if (stranded_)
      return;
    stranded_ = true;
    lease = std::exchange(lease_, std::string());
  }
  if (!lease.empty())
    (void)call("/v3/lease/revoke", Json{{"ID", lease}}.dump(), kMaxSmallAnswer);
}

void EtcdJournal::trim() {
  const std::string nodes_prefix = key("nodes/");
  const Json nodes{{"request_range",
                    {{"key", base64(nodes_prefix)},
                     {"range_end", base64(key("nodes0"))},  // '0' follows '/': every node's key
                     {"limit", std::to_string(kMaxNodes)}}}};
  const Json look{{"success", Json::array({nodes, range(key("head")), first_entry(prefix_)})}};
  const auto seen = call("/v3/kv/txn", look.dump(), kMaxReadAnswer);
  if (!seen.ok())
    return;
  const Json* registered = range_kvs(seen->json, 0);
  const Json* head = range_kvs(seen->json, 1);
  const Json& responses = member(seen->json, "responses");
  // More nodes than one look lists: the unlisted may need anything.
  if (registered == nullptr || head == nullptr || flag(member(responses[0], "response_range"), "more"))
    return;
  const Json* first = range_kvs(seen->json, 2);
  const auto ends = decode_position(member((*head)[0], "value"));
  const auto first_name = first != nullptr ? from_base64(member((*first)[0], "key")) : Result<Bytes>(Bytes());
  const auto starts = first_name.ok() ? entry_sequence(*first_name, prefix_ + "journal/") : std::nullopt;
  if (!ends.ok() || !starts.has_value() || ends->next_sequence <= options_.keep_entries)
    return;
  // A trim deletes at most kMaxTrim entries: a journal that grew long before a node first trimmed
  // it is cut over several looks, none of which holds etcd up for long.
  constexpr std::uint64_t kMaxTrim = 10'000;
  std::uint64_t cut = std::min(ends->next_sequence - options_.keep_entries, *starts + kMaxTrim);
  for (const Json& kv : *registered) {
    const auto value = from_base64(member(kv, "value"));
    const Json entry = value.ok() ? parse_bounded(std::string(value->begin(), value->end())) : Json();
    const Json& position = member(entry, "position");
    if (!position.is_number_unsigned())
      return;  // a node that does not say where it stands may need anything
    // Its start checks its file's last entry against the entry before its position: kept.
    cut = std::min(cut, std::max<std::uint64_t>(position.get<std::uint64_t>(), 1) - 1);
  }
  {
    std::lock_guard lock(lease_mutex_);
    if (cut <= trimmed_below_)
      return;
  }
  // Unless a node's entry was put after the look (a node registered, or says it stands
  // elsewhere: a restart put it behind), which may need more.
  const std::uint64_t revision = number(member(seen->json, "header"), "revision");
  const Json txn{
      {"compare", Json::array({{{"target", "MOD"},
                                {"key", base64(nodes_prefix)},
                                {"range_end", base64(key("nodes0"))},
                                {"result", "LESS"},
                                {"mod_revision", std::to_string(revision + 1)}}})},
      {"success", Json::array({{{"request_delete_range",
                                 {{"key", base64(key("journal/"))}, {"range_end", base64(entry_key(cut))}}}}})}};
  const auto trimmed = call("/v3/kv/txn", txn.dump(), kMaxSmallAnswer);
  if (trimmed.ok() && flag(trimmed->json, "succeeded")) {
    std::lock_guard lock(lease_mutex_);
    trimmed_below_ = cut;
  }
}

Result<actors::ClusterState> EtcdJournal::view() {
  actors::ClusterState state;
  state.node = options_.node_name;
  const Json head{{"key", base64(key("head"))}};
  SH_ASSIGN_OR_RETURN(const Answer found, call("/v3/kv/range", head.dump(), kMaxSmallAnswer));
  if (const Json& kvs = member(found.json, "kvs"); kvs.is_array() && !kvs.empty()) {
    SH_ASSIGN_OR_RETURN(const snapshot::ChainPosition ends, decode_position(member(kvs[0], "value")));
    state.head = ends.next_sequence;
  }
  const std::string nodes_prefix = key("nodes/");
  const Json nodes{{"key", base64(nodes_prefix)},
                   {"range_end", base64(key("nodes0"))},  // '0' follows '/': every node's key
                   {"limit", std::to_string(kMaxNodes)}};
  SH_ASSIGN_OR_RETURN(const Answer registered, call("/v3/kv/range", nodes.dump(), kMaxReadAnswer));
  if (const Json& kvs = member(registered.json, "kvs"); kvs.is_array())
    for (const Json& kv : kvs) {
      const auto name = from_base64(member(kv, "key"));
      const auto value = from_base64(member(kv, "value"));
      if (!name.ok() || !value.ok() || name->size() <= nodes_prefix.size())
        continue;
      const std::string_view all(reinterpret_cast<const char*>(name->data()), name->size());
      const Json entry = parse_bounded(std::string(value->begin(), value->end()));
      state.nodes.push_back({printable(all.substr(nodes_prefix.size())), printable(text(entry, "address"))});
    }
  SH_ASSIGN_OR_RETURN(const Answer listed, call("/v3/cluster/member/list", "{}", kMaxSmallAnswer));
  if (const Json& members = member(listed.json, "members"); members.is_array())
    for (const Json& one : members) {
      std::string urls;
      if (const Json& client_urls = member(one, "clientURLs"); client_urls.is_array())
        for (const Json& url : client_urls)
          if (url.is_string())
            urls += (urls.empty() ? "" : ",") + printable(url.get<std::string>());
      state.members.push_back({printable(text(one, "name")), std::move(urls)});
    }
  return state;
}

Status EtcdJournal::append(std::span<const snapshot::StagedEntry> entries) {
  if (entries.empty())
    return Status(Errc::internal, "an append of no entry");
  const snapshot::StagedEntry& first = entries.front();
  const std::uint64_t sequence = first.follows().next_sequence;
  const std::string head = key("head");
  const std::string at = entry_key(sequence);
  Json puts = Json::array();
  for (const snapshot::StagedEntry& entry : entries)
    puts.push_back(put(entry_key(entry.follows().next_sequence), entry.bytes()));
  puts.push_back(put(head, encode_position(entries.back().leaves())));
  const Json txn{{"compare", Json::array({{{"target", "VALUE"},
                                           {"key", base64(head)},
                                           {"result", "EQUAL"},
                                           {"value", base64(encode_position(first.follows()))}}})},
                 {"success", std::move(puts)},
                 {"failure", Json::array({range(at)})}};
  SH_ASSIGN_OR_RETURN(const Answer answer, call("/v3/kv/txn", txn.dump(), kMaxTxnAnswer));
  if (flag(answer.json, "succeeded"))
    return {};
  // An earlier try whose answer was lost (a timeout) may have appended them after all: the
  // transaction put all or none, so the first tells.
  if (const Json* there = range_kvs(answer.json, 0); there != nullptr) {
    SH_ASSIGN_OR_RETURN(const Bytes bytes, from_base64(member((*there)[0], "value")));
    const ByteView ours = first.bytes();
    if (bytes.size() == ours.size() && std::equal(bytes.begin(), bytes.end(), ours.begin()))
      return {};
    return Status(Errc::conflict, "another node appended entry " + std::to_string(sequence) + " first");
  }
  return Status(Errc::conflict, "the cluster's journal moved past entry " + std::to_string(sequence));
}

Result<std::vector<actors::SharedEntry>> EtcdJournal::read(std::uint64_t from, std::chrono::milliseconds wait,
                                                           std::size_t max_bytes) {
  keep_registered();
  const Json request{{"key", base64(entry_key(from))},
                     {"range_end", base64(prefix_ + "journal0")},  // '0' follows '/': every entry key
                     {"limit", std::to_string(kReadLimit)}};
  SH_ASSIGN_OR_RETURN(const Answer answer, call("/v3/kv/range", request.dump(), kMaxReadAnswer));
  std::vector<actors::SharedEntry> entries;
  std::size_t bytes = 0;
  if (const Json& kvs = member(answer.json, "kvs"); kvs.is_array()) {
    for (const Json& kv : kvs) {
      SH_ASSIGN_OR_RETURN(const Bytes name, from_base64(member(kv, "key")));
      const std::string expected = entry_key(from + entries.size());
      if (std::string_view(reinterpret_cast<const char*>(name.data()), name.size()) != expected) {
        const auto later = entry_sequence(name, prefix_ + "journal/");
        if (entries.empty() && later.has_value() && *later > from) {
          strand();
          return Status(Errc::expired, "the cluster's journal no longer holds entry " + std::to_string(from) +
                                           " (it starts at " + std::to_string(*later) +
                                           "): restart this node from a copy of a live node's file");
        }
        break;  // a gap, or a key that is no entry: the engine stops there
      }
      SH_ASSIGN_OR_RETURN(Bytes value, from_base64(member(kv, "value")));
      bytes += value.size();
      entries.push_back({from + entries.size(), std::move(value)});
      if (bytes >= max_bytes)
        break;
    }
  }
  if (!entries.empty() || wait.count() <= 0)
    return entries;
  // None yet: watch for the next one from just after what the range saw, then read it.
  const std::uint64_t revision = number(member(answer.json, "header"), "revision");
  const Json watch{
      {"create_request", {{"key", base64(entry_key(from))}, {"start_revision", std::to_string(revision + 1)}}}};
  const Endpoint endpoint = [&] {
    std::lock_guard lock(mutex_);
    return options_.endpoints[preferred_];
  }();
  // The first message says the watch was created; the next one that names events is enough.
  // Only the bytes since the last look are searched (with room for the word to straddle them).
  std::size_t searched = 0;
  const Status watched =
      http_.post_until(endpoint, "/v3/watch", watch.dump(), wait, kMaxWatchBytes, [&searched](std::string_view got) {
        constexpr std::string_view kEvents = "\"events\"";
        const std::size_t from = searched < kEvents.size() ? 0 : searched - kEvents.size();
        searched = got.size();
        return got.find(kEvents, from) != std::string_view::npos;
      });
  if (!watched.ok())
    return entries;  // nothing came, or the watch failed: the next read tries again
  return read(from, std::chrono::milliseconds(0), max_bytes);
}

}  // namespace stronghold::cluster

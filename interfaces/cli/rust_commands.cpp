// `import-stronghold` and `inspect-stronghold`: snapshot files of IOTA's Rust Stronghold
// (snapshot/rust_stronghold.hpp), opened with the password their wallet used.
#include "client_keys.hpp"
#include "options.hpp"
#include "requests.hpp"

namespace stronghold::cli {
namespace {

using Layout = Output::Layout;

constexpr const char* kSourcePassword = "--source-password-file";
constexpr const char* kSourceKey = "--source-key-file";

// The file's password (from --source-password-file, else typed), or with --source-key-file its
// raw 32-byte key, into the request's `password` or `key`.
Status source_secret(const Args& args, const Inputs& inputs, actors::Secret& password, actors::Secret& key) {
  if (args.has(kSourcePassword) && args.has(kSourceKey))
    return Status(Errc::invalid_argument, "give at most one of --source-password-file and --source-key-file");
  if (const auto path = args.value(kSourceKey)) {
    SH_ASSIGN_OR_RETURN(const runtime::SecretBytes raw, read_key_file(*path, "Rust Stronghold key file"));
    SH_ASSIGN_OR_RETURN(key, actors::Secret::seal(raw.view()));
    return {};
  }
  runtime::SecretBuffer typed;
  const runtime::SecretBuffer* text = nullptr;
  if (args.has(kSourcePassword)) {
    SH_ASSIGN_OR_RETURN(text, inputs.secret(kSourcePassword));
  } else {
    SH_ASSIGN_OR_RETURN(typed, wire::read_password("", nullptr, "Password of the Rust Stronghold snapshot: "));
    text = &typed;
  }
  auto view = text->read();
  SH_ASSIGN_OR_RETURN(password, actors::Secret::seal(view.bytes()));
  return {};
}

// CLIENT/VAULT/RECORD=VAULT/RECORD:TYPE. The Rust paths are split at their first two '/', so
// a record path may hold '/' and a client or vault path may not; the target after the last '='.
Result<actors::RustRecordMap> parse_map(const std::string& text) {
  const auto bad = [&] {
    return error(Errc::invalid_argument, "--map is CLIENT/VAULT/RECORD=VAULT/RECORD:TYPE, not '{}'", text);
  };
  const std::size_t equals = text.rfind('=');
  const std::size_t colon = text.rfind(':');
  if (equals == std::string::npos || colon == std::string::npos || colon < equals)
    return bad();
  const std::string source = text.substr(0, equals);
  const std::size_t first = source.find('/');
  const std::size_t second = first == std::string::npos ? first : source.find('/', first + 1);
  if (second == std::string::npos)
    return bad();
  SH_ASSIGN_OR_RETURN(vault::Location into, vault::Location::parse(text.substr(equals + 1, colon - equals - 1)));
  return actors::RustRecordMap{source.substr(0, first), source.substr(first + 1, second - first - 1),
                               source.substr(second + 1), std::move(into), text.substr(colon + 1)};
}

Status import_stronghold(const Args& args, const Inputs& inputs, Requests& requests, Output& out) {
  actors::ImportStronghold request;
  SH_RETURN_IF_ERROR(args.required("--in").status());
  SH_ASSIGN_OR_RETURN(const Bytes* const file, inputs.file("--in"));
  request.file = *file;
  SH_RETURN_IF_ERROR(source_secret(args, inputs, request.password, request.key));
  request.preset = args.value("--preset").value_or(args.has("--map") ? "none" : "wallet");
  request.wallet_at = args.value("--at").value_or("");
  for (const std::string& map : args.values("--map")) {
    SH_ASSIGN_OR_RETURN(actors::RustRecordMap parsed, parse_map(map));
    request.maps.push_back(std::move(parsed));
  }
  SH_ASSIGN_OR_RETURN(request.merge, merge_option(args));
  SH_ASSIGN_OR_RETURN(const actors::ImportReport report, requests.call(std::move(request)));
  print_report(report, out);
  return {};
}

// One line per client and per vault: ids in hex, counts, and the store's keys.
Status inspect_stronghold(const Args& args, const Inputs& inputs, Requests& requests, Output& out) {
  SH_RETURN_IF_ERROR(args.required("--in").status());
  SH_ASSIGN_OR_RETURN(const Bytes* const file, inputs.file("--in"));
  actors::InspectStronghold request{*file, {}, {}};
  SH_RETURN_IF_ERROR(source_secret(args, inputs, request.password, request.key));
  SH_ASSIGN_OR_RETURN(const actors::RustSnapshotInfo info, requests.call(std::move(request)));
  out.result({{"version", std::to_string(info.version)}, {"wallet_seed", info.wallet_seed ? "yes" : "no"}},
             Layout::record);
  for (const actors::RustClientInfo& client : info.clients) {
    std::string keys;
    for (const Bytes& key : client.store_keys)
      keys.append(keys.empty() ? "" : ",").append(to_hex(key));
    out.result({{"client", to_hex(client.id)}, {"vaults", std::to_string(client.vaults.size())}, {"store_keys", keys}},
               Layout::record);
    for (const actors::RustVaultInfo& vault : client.vaults)
      out.result({{"vault", to_hex(vault.id)},
                  {"records", std::to_string(vault.records)},
                  {"revoked", std::to_string(vault.revoked)}},
                 Layout::record);
  }
  return {};
}

}  // namespace

const std::vector<Command>& rust_commands() {
  static const std::vector<Command> all = {
      {"import-stronghold",
       "import-stronghold --in FILE [--source-password-file F | --source-key-file F] [--preset wallet|identity|none]\n"
       "                  [--at VAULT/RECORD] [--map CLIENT/VAULT/RECORD=VAULT/RECORD:TYPE]... [--merge keep|replace]\n"
       "  Imports records of a Rust Stronghold snapshot (versions 2 and 3), all or none. The file opens\n"
       "  with its password (from the file, else typed) or its raw 32-byte key (a file of this user, mode 600).\n"
       "  wallet (the default preset without --map): an iota-sdk wallet's seed, as a BIP39 seed at --at\n"
       "  (wallet/seed). identity: every DID of an IOTA Identity 0.6 account, with the keys its document's\n"
       "  verification methods name, its chain state and document. Each --map's record as TYPE (seed,\n"
       "  ed25519, x25519, secp256k1, symmetric or opaque). Prints add, keep (already here, untouched),\n"
       "  replace (with --merge replace) or skip (a key no verification method names) per record.",
       {{"--in", "--source-password-file", "--source-key-file", "--preset", "--at", "--map", "--merge"}, {}, {"--map"}},
       {0, nullptr, false, "--in"},
       import_stronghold},
      {"inspect-stronghold",
       "inspect-stronghold --in FILE [--source-password-file F | --source-key-file F]\n"
       "  Prints a Rust Stronghold snapshot's version, whether it holds an iota-sdk wallet seed, and per\n"
       "  client and vault its id (hex), record counts and store keys (hex); never a secret.",
       {{"--in", "--source-password-file", "--source-key-file"}, {}, {}},
       {0, nullptr, false, "--in"},
       inspect_stronghold},
  };
  return all;
}

}  // namespace stronghold::cli

#include "stronghold/vault/identity_json.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace stronghold::vault {
namespace {

using nlohmann::json;

constexpr std::size_t kMessageIdHexDigits = 64;  // a 32-byte message id, hex

std::string_view value_name(IdentityValue which) {
  return which == IdentityValue::chain_state ? "a chain state" : "a document";
}

// The parsed value, or invalid_argument. nlohmann's callback sees every value's depth before the
// value is built: refusing there keeps a deep value from being built at all.
Result<json> parse_bounded(IdentityValue which, std::string_view text) {
  if (text.size() > kMaxIdentityValueSize)
    return error(Errc::invalid_argument, "{} holds at most {} bytes, not {}", value_name(which), kMaxIdentityValueSize,
                 text.size());
  bool too_deep = false;
  json value = json::parse(
      text,
      [&too_deep](int depth, json::parse_event_t, json&) {
        too_deep = too_deep || depth > kMaxIdentityJsonDepth;
        return !too_deep;
      },
      false);
  if (too_deep)
    return error(Errc::invalid_argument, "{} nests deeper than {} levels", value_name(which), kMaxIdentityJsonDepth);
  if (value.is_discarded())
    return error(Errc::invalid_argument, "{} must be JSON (RFC 8259, in UTF-8)", value_name(which));
  if (!value.is_object())
    return error(Errc::invalid_argument, "{} must be a JSON object", value_name(which));
  return value;
}

bool is_message_id(const json& value) {
  if (!value.is_string())
    return false;
  const auto& text = value.get_ref<const json::string_t&>();
  return text.size() == kMessageIdHexDigits &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

Status check_chain_state(const json& state) {
  for (const char* field : {"last_integration_message_id", "last_diff_message_id"})
    if (const auto found = state.find(field); found != state.end() && !is_message_id(*found))
      return error(Errc::invalid_argument, "a chain state's {} must be a message id: 64 hex digits", field);
  return {};
}

Status check_document(const Did& did, const json& document) {
  const auto doc = document.find("doc");
  if (doc == document.end() || !doc->is_object())
    return Status(Errc::invalid_argument, "a document must have an object \"doc\"");
  const auto id = doc->find("id");
  if (id == doc->end() || !id->is_string())
    return Status(Errc::invalid_argument, "a document's \"doc\" must have a string \"id\"");
  const auto named = Did::parse(id->get_ref<const json::string_t&>());
  if (!named.ok() || *named != did)
    return error(Errc::invalid_argument, "a document stored under {} must have that DID as its doc.id",
                 did.to_string());
  return {};
}

}  // namespace

Status check_identity_value(const Did& did, IdentityValue which, std::string_view json_text) {
  SH_ASSIGN_OR_RETURN(const json value, parse_bounded(which, json_text));
  return which == IdentityValue::chain_state ? check_chain_state(value) : check_document(did, value);
}

}  // namespace stronghold::vault

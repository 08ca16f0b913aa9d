#include "stronghold/actors/messages.hpp"

// The one instantiation of the message classes that messages.hpp declares extern.
#define SH_OWN_MESSAGE(type) SH_MESSAGE_CLASSES(, type)
#define SH_REQUEST_MESSAGE(number, type) SH_MESSAGE_CLASSES(, stronghold::actors::type)
SH_OWN_MESSAGE_TYPES(SH_OWN_MESSAGE)
SH_ENGINE_REQUESTS(SH_REQUEST_MESSAGE)
#undef SH_OWN_MESSAGE
#undef SH_REQUEST_MESSAGE

namespace stronghold::actors {
namespace {

const caf::atom_value kCategory = caf::atom("stronghold");

}  // namespace

Result<Secret> Secret::seal(ByteView plaintext) {
  SH_ASSIGN_OR_RETURN(runtime::ShieldedSecret shielded, runtime::ShieldedSecret::seal(plaintext));
  return Secret{std::make_shared<const runtime::ShieldedSecret>(std::move(shielded))};
}

std::string_view request_name(RequestKind kind) noexcept {
  switch (kind) {
#define SH_NAME_CASE(number, type) \
  case RequestKind::type: return type::kName;
    SH_ENGINE_REQUESTS(SH_NAME_CASE)
#undef SH_NAME_CASE
  }
  return {};
}

bool is_request_kind(std::uint16_t number) noexcept { return !request_name(static_cast<RequestKind>(number)).empty(); }

caf::error secret_not_serializable() {
  return to_error(Status(Errc::invalid_argument, "a secret does not leave the process through CAF's serialization"));
}

caf::error to_error(const Status& status) {
  return caf::error(static_cast<std::uint8_t>(status.code()), kCategory, caf::make_message(status.message()));
}

Status to_status(const caf::error& error) {
  if (!error)
    return {};
  if (error.category() == kCategory) {
    std::string message;
    if (error.context().match_elements<std::string>())
      message = error.context().get_as<std::string>(0);
    return Status(static_cast<Errc>(error.code()), std::move(message));
  }
  if (error == caf::sec::request_timeout)
    return Status(Errc::timeout, "the engine did not answer in time");
  if (error == caf::sec::request_receiver_down)
    return Status(Errc::unavailable, "the actor serving this request stopped (it is being restarted)");
  if (error.category() == caf::atom("exit") || error == caf::sec::runtime_error)
    return Status(Errc::unavailable, "the actor serving this request failed (it is being restarted)");
  return Status(Errc::internal, "actor system error " + caf::to_string(error));
}

void register_message_types(caf::actor_system_config& config) {
  config.add_message_types<caf::id_block::stronghold>();
  config.add_error_category(kCategory, [](std::uint8_t code, caf::atom_value, const caf::message& context) {
    std::string text(errc_name(static_cast<Errc>(code)));
    if (context.match_elements<std::string>())
      text += ": " + context.get_as<std::string>(0);
    return text;
  });
}

}  // namespace stronghold::actors

#include "secp256k1_context.hpp"

#include <memory>

#include "stronghold/runtime/random.hpp"

namespace stronghold::vault {
namespace {

struct ContextDeleter {
  void operator()(secp256k1_context* context) const noexcept { secp256k1_context_destroy(context); }
};

std::unique_ptr<secp256k1_context, ContextDeleter> make_context() noexcept {
  std::unique_ptr<secp256k1_context, ContextDeleter> context(secp256k1_context_create(SECP256K1_CONTEXT_NONE));
  std::uint8_t seed[32];
  runtime::random_bytes(seed);
  if (context && !secp256k1_context_randomize(context.get(), seed))
    context.reset();
  return context;
}

}  // namespace

Result<const secp256k1_context*> secret_key_context() {
  thread_local const auto context = make_context();
  if (!context)
    return Status(Errc::resource_exhausted, "libsecp256k1 could not create a signing context");
  return static_cast<const secp256k1_context*>(context.get());
}

bool parse_public_key(const std::uint8_t* data, std::size_t size, secp256k1_pubkey* point) noexcept {
  return (size == 33 || size == 65) && secp256k1_ec_pubkey_parse(secp256k1_context_static, point, data, size) == 1;
}

}  // namespace stronghold::vault

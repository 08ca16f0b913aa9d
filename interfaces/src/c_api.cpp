// The C ABI (stronghold.h) over Engine and StrongholdStorage. Nothing may escape as an
// exception: every entry point catches, and turns failures into a status and a thread-local
// message.
#include "stronghold/stronghold.h"

#include <sodium.h>

#include <cstring>
#include <new>
#include <string>

#include "stronghold/engine.hpp"
#include "stronghold/identity/stronghold_storage.hpp"
#include "stronghold/stronghold.hpp"

struct stronghold_engine {
  std::shared_ptr<stronghold::Engine> engine;
  std::unique_ptr<stronghold::identity::StrongholdStorage> identities;
};

namespace {

using stronghold::ByteView;
using stronghold::Bytes;
using stronghold::Errc;
using stronghold::Result;
using stronghold::Status;

static_assert(static_cast<int>(Errc::did_not_found) == STRONGHOLD_DID_NOT_FOUND, "the C status codes follow Errc");
static_assert(static_cast<int>(Errc::internal) == STRONGHOLD_INTERNAL, "the C status codes follow Errc");

thread_local std::string last_error;

int fail(const Status& status) {
  last_error = status.to_string();
  return static_cast<int>(status.code());
}

int fail(int code, const char* message) {
  last_error = message;
  return code;
}

// Runs `body` (returning Status), turning exceptions into statuses.
template <class Body>
int guarded(Body&& body) noexcept {
  try {
    last_error.clear();
    const Status status = body();
    return status.ok() ? STRONGHOLD_OK : fail(status);
  } catch (const std::bad_alloc&) {
    return fail(STRONGHOLD_RESOURCE_EXHAUSTED, "out of memory");
  } catch (...) {
    return fail(STRONGHOLD_INTERNAL, "an unexpected internal error");
  }
}

Status check_engine(const stronghold_engine* engine) {
  if (engine == nullptr || !engine->engine)
    return Status(Errc::invalid_argument, "no engine given");
  return {};
}

Result<stronghold::vault::Location> location_of(const char* text) {
  if (text == nullptr)
    return Status(Errc::invalid_argument, "no location given");
  return stronghold::vault::Location::parse(text);
}

ByteView view(const uint8_t* bytes, size_t size) { return size == 0 ? ByteView() : ByteView(bytes, size); }

int copy_or_fail(const Bytes& bytes, uint8_t* out, size_t capacity, size_t* written) {
  if (written != nullptr)
    *written = bytes.size();
  if (out == nullptr || capacity < bytes.size())
    return fail(STRONGHOLD_BUFFER_TOO_SMALL, "the output buffer is too small: *written says how large it must be");
  std::memcpy(out, bytes.data(), bytes.size());
  return STRONGHOLD_OK;
}

int copy_text(const std::string& text, char* out, size_t capacity) {
  if (out == nullptr || capacity < text.size() + 1)
    return fail(STRONGHOLD_BUFFER_TOO_SMALL, "the output buffer is too small for the text and its NUL");
  std::memcpy(out, text.c_str(), text.size() + 1);
  return STRONGHOLD_OK;
}

Result<stronghold::vault::KeyType> key_type_of(int key_type) {
  switch (key_type) {
    case STRONGHOLD_ED25519: return stronghold::vault::KeyType::ed25519;
    case STRONGHOLD_X25519: return stronghold::vault::KeyType::x25519;
    case STRONGHOLD_SECP256K1: return stronghold::vault::KeyType::secp256k1;
    default: return Status(Errc::invalid_argument, "unknown key type");
  }
}

// Runs `produce` (returning Result<Bytes>) and copies its value out.
template <class Produce>
int produce_bytes(uint8_t* out, size_t capacity, size_t* written, Produce&& produce) noexcept {
  try {
    last_error.clear();
    Result<Bytes> bytes = produce();
    if (!bytes.ok())
      return fail(bytes.status());
    return copy_or_fail(*bytes, out, capacity, written);
  } catch (...) {
    return fail(STRONGHOLD_INTERNAL, "an unexpected internal error");
  }
}

}  // namespace

extern "C" {

const char* stronghold_version(void) { return stronghold::version(); }

const char* stronghold_last_error(void) { return last_error.c_str(); }

const char* stronghold_status_name(int status) {
  if (status == STRONGHOLD_BUFFER_TOO_SMALL)
    return "buffer_too_small";
  if (status < 0 || status > STRONGHOLD_DID_NOT_FOUND)
    return "unknown";
  return stronghold::errc_name(static_cast<Errc>(status)).data();
}

int stronghold_open(const char* path, const uint8_t* password, size_t password_len, int create,
                    stronghold_engine** engine) {
  return guarded([&]() -> Status {
    if (path == nullptr || engine == nullptr || (password == nullptr && password_len > 0))
      return Status(Errc::invalid_argument, "path, password and engine pointer are required");
    *engine = nullptr;
    auto opened = create != 0 ? stronghold::Engine::create(path, view(password, password_len))
                              : stronghold::Engine::open(path, view(password, password_len));
    SH_RETURN_IF_ERROR(opened.status());
    auto handle = std::make_unique<stronghold_engine>();
    handle->engine = std::move(opened).value();
    handle->identities = std::make_unique<stronghold::identity::StrongholdStorage>(handle->engine);
    *engine = handle.release();
    return {};
  });
}

void stronghold_close(stronghold_engine* engine) {
  if (engine == nullptr)
    return;
  try {
    engine->identities.reset();
    engine->engine->close();
  } catch (...) {
  }
  delete engine;
}

int stronghold_generate(stronghold_engine* engine, const char* location, int key_type, uint8_t* public_key,
                        size_t capacity, size_t* written) {
  return produce_bytes(public_key, capacity, written, [&]() -> Result<Bytes> {
    SH_RETURN_IF_ERROR(check_engine(engine));
    SH_ASSIGN_OR_RETURN(const auto at, location_of(location));
    SH_ASSIGN_OR_RETURN(const auto type, key_type_of(key_type));
    return engine->engine->generate(at, type);
  });
}

int stronghold_import_key(stronghold_engine* engine, const char* location, int key_type, const uint8_t* private_key,
                          size_t private_key_len, uint8_t* public_key, size_t capacity, size_t* written) {
  return produce_bytes(public_key, capacity, written, [&]() -> Result<Bytes> {
    SH_RETURN_IF_ERROR(check_engine(engine));
    SH_ASSIGN_OR_RETURN(const auto at, location_of(location));
    SH_ASSIGN_OR_RETURN(const auto type, key_type_of(key_type));
    if (private_key == nullptr)
      return Status(Errc::invalid_argument, "no private key given");
    return engine->engine->import_key(at, type, view(private_key, private_key_len));
  });
}

int stronghold_public_key(stronghold_engine* engine, const char* location, uint8_t* public_key, size_t capacity,
                          size_t* written) {
  return produce_bytes(public_key, capacity, written, [&]() -> Result<Bytes> {
    SH_RETURN_IF_ERROR(check_engine(engine));
    SH_ASSIGN_OR_RETURN(const auto at, location_of(location));
    return engine->engine->public_key(at);
  });
}

int stronghold_sign(stronghold_engine* engine, const char* location, const uint8_t* message, size_t message_len,
                    uint8_t* signature, size_t capacity, size_t* written) {
  return produce_bytes(signature, capacity, written, [&]() -> Result<Bytes> {
    SH_RETURN_IF_ERROR(check_engine(engine));
    SH_ASSIGN_OR_RETURN(const auto at, location_of(location));
    if (message == nullptr && message_len > 0)
      return Status(Errc::invalid_argument, "no message given");
    return engine->engine->sign(at, view(message, message_len));
  });
}

int stronghold_delete(stronghold_engine* engine, const char* location) {
  return guarded([&]() -> Status {
    SH_RETURN_IF_ERROR(check_engine(engine));
    SH_ASSIGN_OR_RETURN(const auto at, location_of(location));
    return engine->engine->remove(at);
  });
}

int stronghold_secret_put(stronghold_engine* engine, const char* name, const uint8_t* value, size_t value_len) {
  return guarded([&]() -> Status {
    SH_RETURN_IF_ERROR(check_engine(engine));
    if (name == nullptr || (value == nullptr && value_len > 0))
      return Status(Errc::invalid_argument, "a name and a value are required");
    return engine->engine->put_secret(name, view(value, value_len));
  });
}

int stronghold_secret_get(stronghold_engine* engine, const char* name, uint8_t** value, size_t* value_len) {
  return guarded([&]() -> Status {
    SH_RETURN_IF_ERROR(check_engine(engine));
    if (name == nullptr || value == nullptr || value_len == nullptr)
      return Status(Errc::invalid_argument, "name, value and value_len are required");
    *value = nullptr;
    *value_len = 0;
    SH_ASSIGN_OR_RETURN(const auto secret, engine->engine->get_secret(name));
    const auto bytes = secret.read();
    // sodium_malloc: guarded pages, wiped by sodium_free.
    auto* copy = static_cast<uint8_t*>(sodium_malloc(bytes.bytes().size() + 1));
    if (copy == nullptr)
      return Status(Errc::resource_exhausted, "no memory for the value");
    std::memcpy(copy, bytes.bytes().data(), bytes.bytes().size());
    *value = copy;
    *value_len = bytes.bytes().size();
    return {};
  });
}

void stronghold_free_secret(uint8_t* value, size_t) {
  if (value != nullptr)
    sodium_free(value);
}

int stronghold_did_create(stronghold_engine* engine, const char* network, const char* fragment, char* did,
                          size_t did_capacity, char* location, size_t location_capacity) {
  std::string did_text, location_text;
  const int created = guarded([&]() -> Status {
    SH_RETURN_IF_ERROR(check_engine(engine));
    SH_ASSIGN_OR_RETURN(const auto made, engine->identities->did_create(network != nullptr ? network : "main",
                                                                        fragment != nullptr ? fragment : "sign-0", {}));
    did_text = made.did.to_string();
    location_text = made.location.canonical();
    return {};
  });
  if (created != STRONGHOLD_OK)
    return created;
  if (const int copied = copy_text(did_text, did, did_capacity); copied != STRONGHOLD_OK)
    return copied;
  return copy_text(location_text, location, location_capacity);
}

int stronghold_did_sign(stronghold_engine* engine, const char* did, const char* location, const uint8_t* message,
                        size_t message_len, uint8_t* signature, size_t capacity, size_t* written) {
  return produce_bytes(signature, capacity, written, [&]() -> Result<Bytes> {
    SH_RETURN_IF_ERROR(check_engine(engine));
    if (did == nullptr || location == nullptr || (message == nullptr && message_len > 0))
      return Status(Errc::invalid_argument, "did, location and message are required");
    SH_ASSIGN_OR_RETURN(const auto parsed_did, stronghold::vault::Did::parse(did));
    SH_ASSIGN_OR_RETURN(const auto key, stronghold::vault::KeyLocation::parse(stronghold::vault::IdentityKeyType::ed25519, location));
    return engine->identities->key_sign(parsed_did, key, view(message, message_len));
  });
}

int stronghold_did_purge(stronghold_engine* engine, const char* did) {
  return guarded([&]() -> Status {
    SH_RETURN_IF_ERROR(check_engine(engine));
    if (did == nullptr)
      return Status(Errc::invalid_argument, "no DID given");
    SH_ASSIGN_OR_RETURN(const auto parsed, stronghold::vault::Did::parse(did));
    SH_ASSIGN_OR_RETURN(const bool purged, engine->identities->did_purge(parsed));
    if (!purged)
      return stronghold::error(Errc::did_not_found, "the snapshot holds no DID {}", parsed.to_string());
    return {};
  });
}

int stronghold_sync(stronghold_engine* engine) {
  return guarded([&]() -> Status {
    SH_RETURN_IF_ERROR(check_engine(engine));
    return engine->engine->sync();
  });
}

}  // extern "C"

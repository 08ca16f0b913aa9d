// The C ABI (stronghold.h) over Engine and StrongholdStorage. Nothing may escape as an
// exception: every entry point catches, and turns failures into a status and a thread-local
// message.
#include "stronghold/stronghold.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "stronghold/actors/wire.hpp"
#include "stronghold/engine.hpp"
#include "stronghold/identity/stronghold_storage.hpp"
#include "stronghold/stronghold.hpp"

struct stronghold_engine {
  std::shared_ptr<stronghold::Engine> engine;
  std::unique_ptr<stronghold::identity::StrongholdStorage> identities;
  std::atomic<std::uint64_t> calls{0};  // in flight: stronghold_close waits for them
  std::atomic<bool> closing{false};
};

namespace {

using stronghold::Bytes;
using stronghold::ByteView;
using stronghold::Errc;
using stronghold::Result;
using stronghold::Status;

static_assert(static_cast<int>(Errc::did_not_found) == STRONGHOLD_DID_NOT_FOUND, "the C status codes follow Errc");
static_assert(static_cast<int>(Errc::denied) == STRONGHOLD_DENIED, "the C status codes follow Errc");
static_assert(static_cast<int>(Errc::pending_approval) == STRONGHOLD_PENDING_APPROVAL,
              "the C status codes follow Errc");
static_assert(static_cast<int>(Errc::conflict) == STRONGHOLD_CONFLICT, "the C status codes follow Errc");
static_assert(static_cast<int>(Errc::internal) == STRONGHOLD_INTERNAL, "the C status codes follow Errc");
static_assert(STRONGHOLD_WIRE_VERSION == stronghold::actors::wire::kVersion, "the C header names the wire version");

thread_local std::string last_error;

// The C ABI's own status, carried in a Status through the helpers below.
constexpr Errc kBufferTooSmall = static_cast<Errc>(STRONGHOLD_BUFFER_TOO_SMALL);

int fail(const Status& status) {
  last_error = status.code() == kBufferTooSmall ? status.message() : status.to_string();
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

// One call on an engine: counted while it runs, refused once stronghold_close has begun. The
// count and `closing` are sequentially consistent, so a call either sees `closing` or is
// counted before close reads the count.
void begin_call(stronghold_engine* engine) noexcept { engine->calls.fetch_add(1); }

void end_call(stronghold_engine* engine) noexcept {
  if (engine->calls.fetch_sub(1) == 1 && engine->closing.load())
    engine->calls.notify_all();
}

class Call {
 public:
  explicit Call(stronghold_engine* engine) noexcept : engine_(engine) {
    if (engine_ != nullptr)
      begin_call(engine_);
  }
  ~Call() {
    if (engine_ != nullptr)
      end_call(engine_);
  }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  Status check() const {
    if (engine_ == nullptr || !engine_->engine)
      return Status(Errc::invalid_argument, "no engine given");
    if (engine_->closing.load())
      return Status(Errc::unavailable, "the engine is closing");
    return {};
  }

 private:
  stronghold_engine* engine_;
};

// Runs `body` (returning Status) as a call on `engine` (null: a call that needs none).
template <class Body>
int on_engine(stronghold_engine* engine, Body&& body) noexcept {
  return guarded([&]() -> Status {
    const Call call(engine);
    SH_RETURN_IF_ERROR(call.check());
    return body();
  });
}

Result<stronghold::vault::Location> location_of(const char* text) {
  if (text == nullptr)
    return Status(Errc::invalid_argument, "no location given");
  return stronghold::vault::Location::parse(text);
}

ByteView view(const uint8_t* bytes, size_t size) { return size == 0 ? ByteView() : ByteView(bytes, size); }

// Status for a buffer of `capacity` that must take `needed` bytes (*written says how many).
Status fits(const void* out, size_t capacity, size_t needed, size_t* written) {
  if (written != nullptr)
    *written = needed;
  if (capacity < needed || (out == nullptr && needed > 0))
    return Status(kBufferTooSmall, "the output buffer is too small: *written says how large it must be");
  return {};
}

Status copy_out(ByteView bytes, uint8_t* out, size_t capacity, size_t* written) {
  SH_RETURN_IF_ERROR(fits(out, capacity, bytes.size(), written));
  std::memcpy(out, bytes.data(), bytes.size());
  return {};
}

// The engine's callback for an asynchronous call counted with begin_call: hands the value's bytes
// (or the failure's status, its message in stronghold_last_error) to the caller's `done`, then
// ends the call.
template <class Callback>
auto answer_through(stronghold_engine* engine, Callback done, void* user_data) {
  return [engine, done, user_data](const auto& result) {
    if (result.ok()) {
      last_error.clear();
      done(user_data, STRONGHOLD_OK, result->data(), result->size());
    } else {
      done(user_data, fail(result.status()), nullptr, 0);
    }
    end_call(engine);
  };
}

// A copy the caller releases with sodium_free: guarded pages, wiped when freed.
Result<uint8_t*> guarded_copy(ByteView bytes) {
  auto* copy = static_cast<uint8_t*>(sodium_malloc(bytes.size() + 1));
  if (copy == nullptr)
    return Status(Errc::resource_exhausted, "no memory for the value");
  if (!bytes.empty())
    std::memcpy(copy, bytes.data(), bytes.size());
  return copy;
}

Result<stronghold::vault::KeyType> key_type_of(int key_type) {
  switch (key_type) {
    case STRONGHOLD_ED25519: return stronghold::vault::KeyType::ed25519;
    case STRONGHOLD_X25519: return stronghold::vault::KeyType::x25519;
    case STRONGHOLD_SECP256K1: return stronghold::vault::KeyType::secp256k1;
    default: return Status(Errc::invalid_argument, "unknown key type");
  }
}

std::size_t public_key_size(stronghold::vault::KeyType type) {
  return type == stronghold::vault::KeyType::secp256k1 ? 33 : 32;
}

Result<stronghold::vault::Overwrite> overwrite_of(uint32_t flags) {
  if ((flags & ~uint32_t{STRONGHOLD_REPLACE}) != 0)
    return Status(Errc::invalid_argument, "unknown flags");
  return (flags & STRONGHOLD_REPLACE) != 0 ? stronghold::vault::Overwrite::replace
                                           : stronghold::vault::Overwrite::refuse;
}

// An application's caller name: short and plain, so that it reads unambiguously in policies, the
// audit log and watch events.
Status check_caller_name(std::string_view name) {
  constexpr std::size_t kMaxCallerName = 64;
  const bool plain = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || c == ':';
  });
  if (name.empty() || name.size() > kMaxCallerName || !plain)
    return Status(Errc::invalid_argument, "a caller name is 1 to 64 bytes of A-Z a-z 0-9 . _ - :");
  return {};
}

}  // namespace

extern "C" {

const char* stronghold_version(void) { return stronghold::version(); }

const char* stronghold_last_error(void) { return last_error.c_str(); }

const char* stronghold_status_name(int status) {
  if (status == STRONGHOLD_BUFFER_TOO_SMALL)
    return "buffer_too_small";
  if (status < 0 || status > STRONGHOLD_DENIED)
    return "unknown";
  return stronghold::errc_name(static_cast<Errc>(status)).data();
}

int stronghold_open(const char* path, const uint8_t* password, size_t password_len, int create,
                    stronghold_engine** engine) {
  return stronghold_open_as(path, password, password_len, create, "owner", engine);
}

int stronghold_open_as(const char* path, const uint8_t* password, size_t password_len, int create, const char* caller,
                       stronghold_engine** engine) {
  return guarded([&]() -> Status {
    if (path == nullptr || engine == nullptr || caller == nullptr || (password == nullptr && password_len > 0))
      return Status(Errc::invalid_argument, "path, password, caller and engine pointer are required");
    *engine = nullptr;
    stronghold::EngineOptions options;
    options.caller = caller;
    SH_RETURN_IF_ERROR(check_caller_name(options.caller));
    auto opened = create != 0 ? stronghold::Engine::create(path, view(password, password_len), options)
                              : stronghold::Engine::open(path, view(password, password_len), options);
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
  engine->closing.store(true);
  for (std::uint64_t calls = engine->calls.load(); calls != 0; calls = engine->calls.load())
    engine->calls.wait(calls);
  try {
    engine->identities.reset();
    engine->engine->close();
  } catch (...) {
  }
  delete engine;
}

int stronghold_generate(stronghold_engine* engine, const char* location, int key_type, uint32_t flags,
                        uint8_t* public_key, size_t capacity, size_t* written) {
  return on_engine(engine, [&]() -> Status {
    SH_ASSIGN_OR_RETURN(const auto at, location_of(location));
    SH_ASSIGN_OR_RETURN(const auto type, key_type_of(key_type));
    SH_ASSIGN_OR_RETURN(const auto overwrite, overwrite_of(flags));
    SH_RETURN_IF_ERROR(fits(public_key, capacity, public_key_size(type), written));
    SH_ASSIGN_OR_RETURN(const Bytes made, engine->engine->generate(at, type, overwrite));
    return copy_out(made, public_key, capacity, written);
  });
}

int stronghold_import_key(stronghold_engine* engine, const char* location, int key_type, uint32_t flags,
                          const uint8_t* private_key, size_t private_key_len, uint8_t* public_key, size_t capacity,
                          size_t* written) {
  return on_engine(engine, [&]() -> Status {
    SH_ASSIGN_OR_RETURN(const auto at, location_of(location));
    SH_ASSIGN_OR_RETURN(const auto type, key_type_of(key_type));
    SH_ASSIGN_OR_RETURN(const auto overwrite, overwrite_of(flags));
    if (private_key == nullptr && private_key_len > 0)
      return Status(Errc::invalid_argument, "no private key given");
    SH_RETURN_IF_ERROR(fits(public_key, capacity, public_key_size(type), written));
    SH_ASSIGN_OR_RETURN(const Bytes imported,
                        engine->engine->import_key(at, type, view(private_key, private_key_len), overwrite));
    return copy_out(imported, public_key, capacity, written);
  });
}

int stronghold_public_key(stronghold_engine* engine, const char* location, uint8_t* public_key, size_t capacity,
                          size_t* written) {
  return on_engine(engine, [&]() -> Status {
    SH_ASSIGN_OR_RETURN(const auto at, location_of(location));
    SH_ASSIGN_OR_RETURN(const Bytes key, engine->engine->public_key(at));
    return copy_out(key, public_key, capacity, written);
  });
}

int stronghold_sign(stronghold_engine* engine, const char* location, const uint8_t* message, size_t message_len,
                    uint8_t* signature, size_t capacity, size_t* written) {
  return on_engine(engine, [&]() -> Status {
    SH_ASSIGN_OR_RETURN(const auto at, location_of(location));
    if (message == nullptr && message_len > 0)
      return Status(Errc::invalid_argument, "no message given");
    SH_ASSIGN_OR_RETURN(const Bytes signed_bytes, engine->engine->sign(at, view(message, message_len)));
    return copy_out(signed_bytes, signature, capacity, written);
  });
}

int stronghold_sign_batch(stronghold_engine* engine, const char* location, const uint8_t* const* messages,
                          const size_t* message_lens, size_t count, uint8_t* signatures, size_t capacity,
                          size_t* written) {
  return on_engine(engine, [&]() -> Status {
    SH_ASSIGN_OR_RETURN(const auto at, location_of(location));
    if (count > STRONGHOLD_BATCH_MAX)
      return Status(Errc::invalid_argument, "a batch holds at most STRONGHOLD_BATCH_MAX messages");
    if (count > 0 && (messages == nullptr || message_lens == nullptr))
      return Status(Errc::invalid_argument, "no messages given");
    std::vector<Bytes> batch;
    batch.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (messages[i] == nullptr && message_lens[i] > 0)
        return Status(Errc::invalid_argument, "a message of the batch is missing");
      const ByteView message = view(messages[i], message_lens[i]);
      batch.emplace_back(message.begin(), message.end());
    }
    SH_RETURN_IF_ERROR(fits(signatures, capacity, count * STRONGHOLD_SIGNATURE_SIZE, written));
    SH_ASSIGN_OR_RETURN(const std::vector<Bytes> signed_batch, engine->engine->sign_batch(at, std::move(batch)));
    for (size_t i = 0; i < signed_batch.size(); ++i)
      std::memcpy(signatures + i * STRONGHOLD_SIGNATURE_SIZE, signed_batch[i].data(), STRONGHOLD_SIGNATURE_SIZE);
    return {};
  });
}

int stronghold_sign_async(stronghold_engine* engine, const char* location, const uint8_t* message, size_t message_len,
                          stronghold_sign_callback done, void* user_data) {
  return on_engine(engine, [&]() -> Status {
    SH_ASSIGN_OR_RETURN(const auto at, location_of(location));
    if ((message == nullptr && message_len > 0) || done == nullptr)
      return Status(Errc::invalid_argument, "a message and a callback are required");
    const ByteView bytes = view(message, message_len);
    begin_call(engine);  // until `done` has returned: stronghold_close waits for it
    engine->engine->sign_async(at, Bytes(bytes.begin(), bytes.end()), answer_through(engine, done, user_data));
    return {};
  });
}

int stronghold_delete(stronghold_engine* engine, const char* location) {
  return on_engine(engine, [&]() -> Status {
    SH_ASSIGN_OR_RETURN(const auto at, location_of(location));
    return engine->engine->remove(at);
  });
}

int stronghold_secret_put(stronghold_engine* engine, const char* name, uint32_t flags, const uint8_t* value,
                          size_t value_len) {
  return on_engine(engine, [&]() -> Status {
    if (name == nullptr || (value == nullptr && value_len > 0))
      return Status(Errc::invalid_argument, "a name and a value are required");
    SH_ASSIGN_OR_RETURN(const auto overwrite, overwrite_of(flags));
    return engine->engine->put_secret(name, view(value, value_len), overwrite);
  });
}

int stronghold_secret_get(stronghold_engine* engine, const char* name, uint8_t** value, size_t* value_len) {
  return on_engine(engine, [&]() -> Status {
    if (name == nullptr || value == nullptr || value_len == nullptr)
      return Status(Errc::invalid_argument, "name, value and value_len are required");
    *value = nullptr;
    *value_len = 0;
    SH_ASSIGN_OR_RETURN(const auto secret, engine->engine->get_secret(name));
    const auto bytes = secret.read();
    SH_ASSIGN_OR_RETURN(*value, guarded_copy(bytes.bytes()));
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
  return on_engine(engine, [&]() -> Status {
    const std::string_view fragment_text = fragment != nullptr ? fragment : "sign-0";
    if (fragment_text.size() > stronghold::vault::kMaxFragmentLength)
      return Status(Errc::invalid_argument, "a fragment holds at most 200 bytes");
    SH_RETURN_IF_ERROR(fits(did, did_capacity, STRONGHOLD_DID_CAPACITY, nullptr));
    SH_RETURN_IF_ERROR(
        fits(location, location_capacity, fragment_text.size() + STRONGHOLD_KEY_LOCATION_EXTRA, nullptr));
    SH_ASSIGN_OR_RETURN(const auto made,
                        engine->identities->did_create(network != nullptr ? network : "main", fragment_text, {}));
    const std::string did_text = made.did.to_string(), location_text = made.location.canonical();
    std::memcpy(did, did_text.c_str(), did_text.size() + 1);
    std::memcpy(location, location_text.c_str(), location_text.size() + 1);
    return {};
  });
}

int stronghold_did_sign(stronghold_engine* engine, const char* did, const char* location, const uint8_t* message,
                        size_t message_len, uint8_t* signature, size_t capacity, size_t* written) {
  return on_engine(engine, [&]() -> Status {
    if (did == nullptr || location == nullptr || (message == nullptr && message_len > 0))
      return Status(Errc::invalid_argument, "did, location and message are required");
    SH_ASSIGN_OR_RETURN(const auto parsed_did, stronghold::vault::Did::parse(did));
    SH_ASSIGN_OR_RETURN(const auto key,
                        stronghold::vault::KeyLocation::parse(stronghold::vault::IdentityKeyType::ed25519, location));
    SH_ASSIGN_OR_RETURN(const Bytes signed_bytes,
                        engine->identities->key_sign(parsed_did, key, view(message, message_len)));
    return copy_out(signed_bytes, signature, capacity, written);
  });
}

int stronghold_did_purge(stronghold_engine* engine, const char* did) {
  return on_engine(engine, [&]() -> Status {
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
  return on_engine(engine, [&]() -> Status { return engine->engine->sync(); });
}

int stronghold_call(stronghold_engine* engine, const uint8_t* request, size_t request_len, uint8_t** answer,
                    size_t* answer_len) {
  return on_engine(engine, [&]() -> Status {
    if (answer == nullptr || answer_len == nullptr || (request == nullptr && request_len > 0))
      return Status(Errc::invalid_argument, "request, answer and answer_len are required");
    *answer = nullptr;
    *answer_len = 0;
    SH_ASSIGN_OR_RETURN(const stronghold::runtime::SecretBytes encoded,
                        engine->engine->call_wire(view(request, request_len)));
    SH_ASSIGN_OR_RETURN(*answer, guarded_copy(ByteView(encoded.data(), encoded.size())));
    *answer_len = encoded.size();
    return {};
  });
}

void stronghold_free_answer(uint8_t* answer, size_t) {
  if (answer != nullptr)
    sodium_free(answer);
}

int stronghold_call_async(stronghold_engine* engine, const uint8_t* request, size_t request_len,
                          stronghold_call_callback done, void* user_data) {
  return on_engine(engine, [&]() -> Status {
    if ((request == nullptr && request_len > 0) || done == nullptr)
      return Status(Errc::invalid_argument, "a request and a callback are required");
    begin_call(engine);  // until `done` has returned: stronghold_close waits for it
    engine->engine->call_wire_async(view(request, request_len), answer_through(engine, done, user_data));
    return {};
  });
}

}  // extern "C"

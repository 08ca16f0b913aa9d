/* stronghold.h: the C ABI of stronghold-cpp, for C programs and bindings to other languages.
 *
 * Opaque handles; no C++ type or exception crosses this boundary. Every function returns a
 * status (0 = STRONGHOLD_OK) and, on failure, sets a message for the calling thread, read with
 * stronghold_last_error(). Outputs go to caller-owned buffers with explicit capacities: when a
 * buffer is too small the call fails with STRONGHOLD_BUFFER_TOO_SMALL and *written says how
 * much is needed. The one value the library allocates (a secret-store value) is wiped and freed
 * with stronghold_free_secret(). A call checks every capacity before it changes anything, so
 * probing with a NULL buffer never changes the snapshot.
 *
 * NULL arguments: a NULL engine, text argument or byte input (with a non-zero length) gives
 * STRONGHOLD_INVALID_ARGUMENT; a NULL byte input with length 0 is the empty input. A NULL output
 * buffer is one that is too small (STRONGHOLD_BUFFER_TOO_SMALL, with *written set) unless the
 * call has nothing to write: the way to probe for the size. `written` may be NULL when the caller does not need the
 * size. The outputs the library fills in (`engine` of stronghold_open, `value` and `value_len` of
 * stronghold_secret_get) are required: NULL is STRONGHOLD_INVALID_ARGUMENT. The exceptions are
 * stated at the function: stronghold_did_create's network and fragment, and the NULL that
 * stronghold_close() and stronghold_free_secret() accept and ignore.
 *
 * Every function is thread-safe; one engine may be shared by many threads. stronghold_close()
 * waits for the calls already in flight on the engine, then frees it: no call on the engine may
 * begin once stronghold_close() has been called (one that races with it answers
 * STRONGHOLD_UNAVAILABLE if it is counted in time, and touches freed memory if not).
 *
 * Writes never replace a record silently: a location (or secret name) that already holds one
 * gives STRONGHOLD_ALREADY_EXISTS unless the call's flags include STRONGHOLD_REPLACE.
 */
#ifndef STRONGHOLD_H
#define STRONGHOLD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. */
enum {
  STRONGHOLD_OK = 0,
  STRONGHOLD_INVALID_ARGUMENT = 1, /* malformed input: length, hex, location, path */
  STRONGHOLD_NOT_FOUND = 2,
  STRONGHOLD_ALREADY_EXISTS = 3,
  STRONGHOLD_WRONG_KEY_TYPE = 4,
  STRONGHOLD_INVALID_KEY = 5,
  STRONGHOLD_AUTHENTICATION_FAILED = 6,
  STRONGHOLD_WRONG_PASSWORD = 7,
  STRONGHOLD_CORRUPTED = 8,
  STRONGHOLD_UNSUPPORTED = 9,
  STRONGHOLD_EXPIRED = 10,
  STRONGHOLD_IO_ERROR = 11,
  STRONGHOLD_RESOURCE_EXHAUSTED = 12,
  STRONGHOLD_BUSY = 13,
  STRONGHOLD_TIMEOUT = 14,
  STRONGHOLD_UNAVAILABLE = 15,
  STRONGHOLD_INTERNAL = 16,
  STRONGHOLD_DID_NOT_FOUND = 17,
  STRONGHOLD_DENIED = 18,           /* refused by a policy: the error text names the rule */
  STRONGHOLD_PENDING_APPROVAL = 19, /* waits for approvals: the error text names the request id and digest */
  STRONGHOLD_CONFLICT = 20,         /* another node of a cluster appended first: nothing changed, send it again */
  STRONGHOLD_BUFFER_TOO_SMALL = 100
};

/* Key types. */
enum { STRONGHOLD_ED25519 = 1, STRONGHOLD_X25519 = 2, STRONGHOLD_SECP256K1 = 3 };

/* Flags of the calls that write. */
enum { STRONGHOLD_REPLACE = 1 /* replace a record already at the location */ };

/* Capacities that always suffice: a public key; a DID with its NUL; a key location's text is
 * the fragment, ':', up to 20 digits and a NUL (strlen(fragment) + STRONGHOLD_KEY_LOCATION_EXTRA). */
enum { STRONGHOLD_PUBLIC_KEY_MAX = 33, STRONGHOLD_DID_CAPACITY = 64, STRONGHOLD_KEY_LOCATION_EXTRA = 22 };

typedef struct stronghold_engine stronghold_engine;

/* The library's version, e.g. "0.1.0". */
const char* stronghold_version(void);
/* The calling thread's message for its last failed call ("" if none). Valid until its next call. */
const char* stronghold_last_error(void);
/* A status code's name, e.g. "wrong_password". */
const char* stronghold_status_name(int status);

/* Opens the snapshot at `path` (creates it when `create` is non-zero; creating never overwrites).
 * The caller wipes its copy of the password. */
int stronghold_open(const char* path, const uint8_t* password, size_t password_len, int create,
                    stronghold_engine** engine);
/* The same, with `caller` the name every request of this engine carries: policies and the audit log
 * know the application by it (1 to 64 bytes of A-Z a-z 0-9 . _ - :). stronghold_open's engines are
 * "owner", which may always set and show policies. */
int stronghold_open_as(const char* path, const uint8_t* password, size_t password_len, int create, const char* caller,
                       stronghold_engine** engine);
/* Makes everything durable, stops the engine and frees it. NULL is allowed. */
void stronghold_close(stronghold_engine* engine);

/* Locations are "VAULT/RECORD" strings. Public keys: 32 bytes (Ed25519, X25519) or 33 (secp256k1,
 * compressed). `flags`: 0 or STRONGHOLD_REPLACE. */
int stronghold_generate(stronghold_engine* engine, const char* location, int key_type, uint32_t flags,
                        uint8_t* public_key, size_t capacity, size_t* written);
int stronghold_import_key(stronghold_engine* engine, const char* location, int key_type, uint32_t flags,
                          const uint8_t* private_key, size_t private_key_len, uint8_t* public_key, size_t capacity,
                          size_t* written);
int stronghold_public_key(stronghold_engine* engine, const char* location, uint8_t* public_key, size_t capacity,
                          size_t* written);
/* Ed25519 for an Ed25519 key; ECDSA over SHA-256 (compact r||s, low-S) for a secp256k1 key: 64 bytes. */
int stronghold_sign(stronghold_engine* engine, const char* location, const uint8_t* message, size_t message_len,
                    uint8_t* signature, size_t capacity, size_t* written);
int stronghold_delete(stronghold_engine* engine, const char* location);

/* Every signature these calls make is 64 bytes. */
enum { STRONGHOLD_SIGNATURE_SIZE = 64, STRONGHOLD_BATCH_MAX = 1048576 };

/* Signs `count` messages (messages[i] of message_lens[i] bytes) with one request, as
 * stronghold_sign would sign each: the signatures are written back to back, in order, into
 * `signatures` (count * STRONGHOLD_SIGNATURE_SIZE bytes). At most STRONGHOLD_BATCH_MAX messages. */
int stronghold_sign_batch(stronghold_engine* engine, const char* location, const uint8_t* const* messages,
                          const size_t* message_lens, size_t count, uint8_t* signatures, size_t capacity,
                          size_t* written);

/* Runs once per asynchronous call, on an engine thread: `status` and, when it is STRONGHOLD_OK,
 * the signature (valid during the call only). stronghold_last_error() on that thread gives the
 * message of a failure. Keep it short and never call stronghold_close from it. */
typedef void (*stronghold_sign_callback)(void* user_data, int status, const uint8_t* signature, size_t signature_len);
/* Queues a signature as stronghold_sign would make it and returns at once: STRONGHOLD_OK means
 * `done` will run exactly once (with STRONGHOLD_UNAVAILABLE if the engine closes first); any
 * other status means it will not run. The message is copied. stronghold_close waits for every
 * queued call's `done` to return. */
int stronghold_sign_async(stronghold_engine* engine, const char* location, const uint8_t* message, size_t message_len,
                          stronghold_sign_callback done, void* user_data);

/* The secret store. */
int stronghold_secret_put(stronghold_engine* engine, const char* name, uint32_t flags, const uint8_t* value,
                          size_t value_len);
/* *value is allocated by the library: release it with stronghold_free_secret(*value, *value_len). */
int stronghold_secret_get(stronghold_engine* engine, const char* name, uint8_t** value, size_t* value_len);
void stronghold_free_secret(uint8_t* value, size_t value_len); /* NULL is allowed */

/* Identities: the DID and the key location are written as NUL-terminated text (see the
 * capacities above: smaller buffers, NULL ones too, are refused before anything is created).
 * stronghold_did_create takes a NULL network as "main" and a NULL fragment as "sign-0". */
int stronghold_did_create(stronghold_engine* engine, const char* network, const char* fragment, char* did,
                          size_t did_capacity, char* location, size_t location_capacity);
int stronghold_did_sign(stronghold_engine* engine, const char* did, const char* location, const uint8_t* message,
                        size_t message_len, uint8_t* signature, size_t capacity, size_t* written);
int stronghold_did_purge(stronghold_engine* engine, const char* did);

/* Everything acknowledged so far is durable. */
int stronghold_sync(stronghold_engine* engine);

/* The version byte that starts every request and answer in the wire form this library speaks. */
#define STRONGHOLD_WIRE_VERSION 2

/* Every request of the engine's vocabulary, in its wire form (docs/wire-protocol.md, "Requests
 * and answers"): a version byte (STRONGHOLD_WIRE_VERSION), the request's kind and its fields. STRONGHOLD_OK means the
 * request ran: *answer (allocated by the library; release it with stronghold_free_answer, which
 * wipes it, since an answer may hold a secret) is the answer's wire form, which carries either
 * the value or the request's own error code and message. A request that does not decode gives
 * STRONGHOLD_INVALID_ARGUMENT (malformed) or STRONGHOLD_UNSUPPORTED (a version or kind this
 * library does not know), and no answer. The request's bytes may hold secrets: the caller wipes
 * them. */
int stronghold_call(stronghold_engine* engine, const uint8_t* request, size_t request_len, uint8_t** answer,
                    size_t* answer_len);
void stronghold_free_answer(uint8_t* answer, size_t answer_len); /* NULL is allowed */

/* As stronghold_sign_callback, with the answer's wire form (valid during the call only; the
 * library wipes it afterwards). */
typedef void (*stronghold_call_callback)(void* user_data, int status, const uint8_t* answer, size_t answer_len);
/* stronghold_call, returning at once: STRONGHOLD_OK means `done` will run exactly once, with the
 * status stronghold_call would have returned and its answer; any other status means it will not
 * run. The request is copied (and the copy wiped). stronghold_close waits for `done`. */
int stronghold_call_async(stronghold_engine* engine, const uint8_t* request, size_t request_len,
                          stronghold_call_callback done, void* user_data);

#ifdef __cplusplus
}
#endif

#endif /* STRONGHOLD_H */

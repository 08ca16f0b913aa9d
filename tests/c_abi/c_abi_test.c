/* The C ABI from a C program: open, keys, signatures, secrets, identities, every error path that
 * a binding meets (small buffers, bad input, wrong password), and close. Exits 0 when all pass. */
#define _GNU_SOURCE /* glibc's feature-test macro, for nftw's flags */
#include <ftw.h>
#include <pthread.h>
#include <sched.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stronghold/stronghold.h"

static int failures = 0;

/* Removes one entry of the scratch folder (children first, links not followed). */
static int remove_entry(const char* entry, const struct stat* info, int type, struct FTW* where) {
  (void)info;
  (void)type;
  (void)where;
  return remove(entry);
}

#define EXPECT(condition)                                                                                         \
  do {                                                                                                            \
    if (!(condition)) {                                                                                           \
      (void)fprintf(stderr, "%s:%d: failed: %s (%s)\n", __FILE__, __LINE__, #condition, stronghold_last_error()); \
      ++failures;                                                                                                 \
    }                                                                                                             \
  } while (0)

/* Makes keys until told to stop; each call is a round trip through the engine's actors and a
 * synced commit, so a call is almost always in flight when the main thread closes the engine. */
struct generating {
  stronghold_engine* engine;
  atomic_int made;
  atomic_int stop;
  int last_status;
};

static void* generate_until_stopped(void* argument) {
  struct generating* job = argument;
  uint8_t public_key[33];
  size_t written = 0;
  char location[64];
  while (!atomic_load(&job->stop)) {
    (void)snprintf(location, sizeof location, "closing/k%d", atomic_load(&job->made));
    job->last_status =
        stronghold_generate(job->engine, location, STRONGHOLD_ED25519, 0, public_key, sizeof public_key, &written);
    if (job->last_status != STRONGHOLD_OK)
      return NULL;
    atomic_fetch_add(&job->made, 1);
  }
  return NULL;
}

/* stronghold_close while another thread's call is in flight waits for that call (which would
 * otherwise run on a freed engine: the address sanitizer run catches that). The other thread
 * starts no call once told to stop, as the header requires. */
static void close_waits_for_a_call_in_flight(const char* file, const uint8_t* password, size_t password_len) {
  struct generating job;
  job.engine = NULL;
  atomic_init(&job.made, 0);
  atomic_init(&job.stop, 0);
  job.last_status = STRONGHOLD_OK;
  EXPECT(stronghold_open(file, password, password_len, 0, &job.engine) == STRONGHOLD_OK);
  pthread_t thread;
  EXPECT(pthread_create(&thread, NULL, generate_until_stopped, &job) == 0);
  while (atomic_load(&job.made) < 10)
    sched_yield();
  atomic_store(&job.stop, 1);
  stronghold_close(job.engine);
  EXPECT(pthread_join(thread, NULL) == 0);
  EXPECT(job.last_status == STRONGHOLD_OK || job.last_status == STRONGHOLD_UNAVAILABLE);
}

/* ---- Every pointer argument NULL, and every output buffer too small ----
 * One valid call per function (`args`), then the same call with one pointer NULL (a length
 * beside it stays non-zero) or one capacity one byte short, each against the status the header
 * documents. */

enum slot {
  ENGINE,
  TEXT,
  TEXT2,
  INPUT,
  OUTPUT,
  WRITTEN,
  DID_OUT,
  LOCATION_OUT,
  VALUE,
  VALUE_LEN,
  ENGINE_OUT,
  SHORT_OUTPUT,
  SHORT_DID,
  SHORT_LOCATION,
  SLOTS
};

struct args {
  stronghold_engine* engine;
  const char* text;  /* the location, name, DID, network or path */
  const char* text2; /* the DID's key location, or the fragment */
  const uint8_t* input;
  size_t input_len;
  uint8_t* output;
  size_t capacity;
  size_t* written;
  char* did_out;
  size_t did_capacity;
  char* location_out;
  size_t location_capacity;
  uint8_t** value;
  size_t* value_len;
  stronghold_engine** engine_out;
};

static int call_open(struct args* a) {
  const int status = stronghold_open(a->text, a->input, a->input_len, 1, a->engine_out);
  if (status == STRONGHOLD_OK)
    stronghold_close(*a->engine_out);
  return status;
}
static int call_open_as(struct args* a) {
  const int status = stronghold_open_as(a->text, a->input, a->input_len, 1, a->text2, a->engine_out);
  if (status == STRONGHOLD_OK)
    stronghold_close(*a->engine_out);
  return status;
}
static int call_generate(struct args* a) {
  return stronghold_generate(a->engine, a->text, STRONGHOLD_ED25519, STRONGHOLD_REPLACE, a->output, a->capacity,
                             a->written);
}
static int call_import(struct args* a) {
  return stronghold_import_key(a->engine, a->text, STRONGHOLD_ED25519, STRONGHOLD_REPLACE, a->input, a->input_len,
                               a->output, a->capacity, a->written);
}
static int call_public_key(struct args* a) {
  return stronghold_public_key(a->engine, a->text, a->output, a->capacity, a->written);
}
static int call_sign(struct args* a) {
  return stronghold_sign(a->engine, a->text, a->input, a->input_len, a->output, a->capacity, a->written);
}
static int call_sign_batch(struct args* a) {
  const uint8_t* messages[1] = {a->input};
  const size_t lengths[1] = {a->input_len};
  return stronghold_sign_batch(a->engine, a->text, messages, lengths, 1, a->output, a->capacity, a->written);
}

/* What an asynchronous call's callback saw: the status once it ran (-1 before). */
struct answered {
  atomic_int status;
  atomic_int calls;
  size_t signature_len;
  uint8_t signature[128]; /* or an answer's wire form */
};

static void record_answer(void* user_data, int status, const uint8_t* signature, size_t signature_len) {
  struct answered* answer = user_data;
  if (status == STRONGHOLD_OK && signature_len <= sizeof answer->signature) {
    memcpy(answer->signature, signature, signature_len);
    answer->signature_len = signature_len;
  }
  atomic_fetch_add(&answer->calls, 1);
  atomic_store(&answer->status, status);
}

static void init_answer(struct answered* answer) {
  atomic_init(&answer->status, -1);
  atomic_init(&answer->calls, 0);
  answer->signature_len = 0;
}

static int wait_for_answer(struct answered* answer) {
  while (atomic_load(&answer->status) == -1)
    sched_yield();
  return atomic_load(&answer->status);
}

/* The queueing status, or the callback's status when the call was queued. */
static int call_sign_async(struct args* a) {
  struct answered answer;
  init_answer(&answer);
  const int queued = stronghold_sign_async(a->engine, a->text, a->input, a->input_len, record_answer, &answer);
  if (queued != STRONGHOLD_OK)
    return queued;
  return wait_for_answer(&answer);
}

/* Wire form (docs/wire-protocol.md) of key.public for "null/key": the version, kind 3 (u16 LE),
 * the location's two texts, each a varint length and its bytes. */
static const uint8_t kPublicKeyOfNullKey[] = {STRONGHOLD_WIRE_VERSION, 3, 0, 4, 'n', 'u', 'l', 'l', 3, 'k', 'e', 'y'};

/* The input slot stands for the request: NULL stays NULL (with its length), else the request above. */
static int call_call(struct args* a) {
  const uint8_t* request = a->input == NULL ? NULL : kPublicKeyOfNullKey;
  const int status = stronghold_call(a->engine, request, sizeof kPublicKeyOfNullKey, a->value, a->value_len);
  if (status == STRONGHOLD_OK)
    stronghold_free_answer(*a->value, *a->value_len);
  return status;
}

/* The queueing status, or the callback's status when the call was queued. */
static int call_call_async(struct args* a) {
  struct answered answer;
  init_answer(&answer);
  const uint8_t* request = a->input == NULL ? NULL : kPublicKeyOfNullKey;
  const int queued = stronghold_call_async(a->engine, request, sizeof kPublicKeyOfNullKey, record_answer, &answer);
  if (queued != STRONGHOLD_OK)
    return queued;
  return wait_for_answer(&answer);
}

static int call_secret_put(struct args* a) {
  return stronghold_secret_put(a->engine, a->text, STRONGHOLD_REPLACE, a->input, a->input_len);
}
static int call_secret_get(struct args* a) {
  const int status = stronghold_secret_get(a->engine, a->text, a->value, a->value_len);
  if (status == STRONGHOLD_OK)
    stronghold_free_secret(*a->value, *a->value_len);
  return status;
}
static int call_did_create(struct args* a) {
  return stronghold_did_create(a->engine, a->text, a->text2, a->did_out, a->did_capacity, a->location_out,
                               a->location_capacity);
}
static int call_did_sign(struct args* a) {
  return stronghold_did_sign(a->engine, a->text, a->text2, a->input, a->input_len, a->output, a->capacity, a->written);
}
static int call_sync(struct args* a) { return stronghold_sync(a->engine); }
static int call_delete(struct args* a) { return stronghold_delete(a->engine, a->text); }
static int call_did_purge(struct args* a) { return stronghold_did_purge(a->engine, a->text); }

enum { UNUSED = -1 };
struct contract {
  const char* name;
  int (*call)(struct args*);
  const char* text;     /* overrides the common args' text when set */
  size_t needed;        /* bytes the output needs (SHORT_OUTPUT gets one fewer) */
  int when_null[SLOTS]; /* the status with that slot NULL (or short); UNUSED: not an argument */
};

/* Null the pointer of `slot` in `a`, or shorten its capacity by one byte. */
static void break_slot(struct args* a, enum slot slot, size_t needed) {
  switch (slot) {
    case ENGINE: a->engine = NULL; break;
    case TEXT: a->text = NULL; break;
    case TEXT2: a->text2 = NULL; break;
    case INPUT: a->input = NULL; break;
    case OUTPUT: a->output = NULL; break;
    case WRITTEN: a->written = NULL; break;
    case DID_OUT: a->did_out = NULL; break;
    case LOCATION_OUT: a->location_out = NULL; break;
    case VALUE: a->value = NULL; break;
    case VALUE_LEN: a->value_len = NULL; break;
    case ENGINE_OUT: a->engine_out = NULL; break;
    case SHORT_OUTPUT: a->capacity = needed - 1; break;
    case SHORT_DID: a->did_capacity = STRONGHOLD_DID_CAPACITY - 1; break;
    case SHORT_LOCATION: a->location_capacity = strlen(a->text2) + STRONGHOLD_KEY_LOCATION_EXTRA - 1; break;
    case SLOTS: break;
  }
}

static void every_null_pointer_and_short_buffer(stronghold_engine* engine, const char* folder) {
  char did[STRONGHOLD_DID_CAPACITY], key_location[64], spare_did[STRONGHOLD_DID_CAPACITY], spare_location[64];
  EXPECT(stronghold_did_create(engine, "dev", "sign-0", did, sizeof did, key_location, sizeof key_location) ==
         STRONGHOLD_OK);
  EXPECT(stronghold_did_create(engine, "dev", "sign-0", spare_did, sizeof spare_did, spare_location,
                               sizeof spare_location) == STRONGHOLD_OK);
  EXPECT(stronghold_generate(engine, "null/doomed", STRONGHOLD_ED25519, 0, NULL, 0, NULL) ==
         STRONGHOLD_BUFFER_TOO_SMALL);
  uint8_t key[33];
  size_t written = 0;
  EXPECT(stronghold_generate(engine, "null/doomed", STRONGHOLD_ED25519, 0, key, sizeof key, &written) == STRONGHOLD_OK);
  char fresh_file[160], fresh_file_as[160];
  (void)snprintf(fresh_file, sizeof fresh_file, "%s/null-args.stronghold", folder);
  (void)snprintf(fresh_file_as, sizeof fresh_file_as, "%s/null-args-as.stronghold", folder);

  const int I = STRONGHOLD_INVALID_ARGUMENT, S = STRONGHOLD_BUFFER_TOO_SMALL, OK = STRONGHOLD_OK, U = UNUSED;
  /*                                         ENGINE TEXT TEXT2 INPUT OUTPUT WRITTEN DID LOC VALUE V_LEN E_OUT SHORT:OUT
   * DID LOC */
  const struct contract contracts[] = {
      {"stronghold_open", call_open, fresh_file, 0, {U, I, U, I, U, U, U, U, U, U, I, U, U, U}},
      {"stronghold_open_as", call_open_as, fresh_file_as, 0, {U, I, I, I, U, U, U, U, U, U, I, U, U, U}},
      {"stronghold_generate", call_generate, NULL, 32, {I, I, U, U, S, OK, U, U, U, U, U, S, U, U}},
      {"stronghold_import_key", call_import, NULL, 32, {I, I, U, I, S, OK, U, U, U, U, U, S, U, U}},
      {"stronghold_public_key", call_public_key, NULL, 32, {I, I, U, U, S, OK, U, U, U, U, U, S, U, U}},
      {"stronghold_sign", call_sign, NULL, 64, {I, I, U, I, S, OK, U, U, U, U, U, S, U, U}},
      {"stronghold_sign_batch", call_sign_batch, NULL, 64, {I, I, U, I, S, OK, U, U, U, U, U, S, U, U}},
      {"stronghold_sign_async", call_sign_async, NULL, 0, {I, I, U, I, U, U, U, U, U, U, U, U, U, U}},
      {"stronghold_call", call_call, NULL, 0, {I, U, U, I, U, U, U, U, I, I, U, U, U, U}},
      {"stronghold_call_async", call_call_async, NULL, 0, {I, U, U, I, U, U, U, U, U, U, U, U, U, U}},
      {"stronghold_secret_put", call_secret_put, NULL, 0, {I, I, U, I, U, U, U, U, U, U, U, U, U, U}},
      {"stronghold_secret_get", call_secret_get, NULL, 0, {I, I, U, U, U, U, U, U, I, I, U, U, U, U}},
      {"stronghold_did_create", call_did_create, "dev", 0, {I, OK, OK, U, U, U, S, S, U, U, U, U, S, S}},
      {"stronghold_did_sign", call_did_sign, did, 64, {I, I, I, I, S, OK, U, U, U, U, U, S, U, U}},
      {"stronghold_sync", call_sync, NULL, 0, {I, U, U, U, U, U, U, U, U, U, U, U, U, U}},
      {"stronghold_delete", call_delete, "null/doomed", 0, {I, I, U, U, U, U, U, U, U, U, U, U, U, U}},
      {"stronghold_did_purge", call_did_purge, spare_did, 0, {I, I, U, U, U, U, U, U, U, U, U, U, U, U}},
  };
  const uint8_t seed[32] = {1, 2, 3};
  for (size_t row = 0; row < sizeof contracts / sizeof contracts[0]; ++row) {
    const struct contract* c = &contracts[row];
    for (int slot = 0; slot <= SLOTS; ++slot) { /* SLOTS: the valid call, last (it may delete) */
      if (slot < SLOTS && c->when_null[slot] == UNUSED)
        continue;
      uint8_t output[64], *value = NULL;
      size_t value_len = 0, got = 0;
      char did_out[STRONGHOLD_DID_CAPACITY], location_out[64];
      stronghold_engine* opened = NULL;
      struct args a = {engine,        c->text != NULL ? c->text : "null/key",
                       key_location,  seed,
                       sizeof seed,   output,
                       sizeof output, &got,
                       did_out,       sizeof did_out,
                       location_out,  sizeof location_out,
                       &value,        &value_len,
                       &opened};
      if (c->call == call_did_create)
        a.text2 = "sign-1";
      break_slot(&a, (enum slot)slot, c->needed);
      const int expected = slot < SLOTS ? c->when_null[slot] : STRONGHOLD_OK;
      const int status = c->call(&a);
      if (status != expected) {
        (void)fprintf(stderr, "%s with slot %d broken: status %s, documented %s (%s)\n", c->name, slot,
                      stronghold_status_name(status), stronghold_status_name(expected), stronghold_last_error());
        ++failures;
      }
      if ((slot == OUTPUT || slot == SHORT_OUTPUT) && got != c->needed) {
        (void)fprintf(stderr, "%s with slot %d: *written is %zu, not the %zu needed\n", c->name, slot, got, c->needed);
        ++failures;
      }
    }
  }
  stronghold_close(NULL); /* documented no-ops */
  stronghold_free_secret(NULL, 5);
  EXPECT(strcmp(stronghold_status_name(-1), "unknown") == 0);
}

/* A batch signs as stronghold_sign does, each message in order; asynchronous signatures answer
 * through their callback, errors included; close waits for every callback still due. */
static void batch_and_asynchronous_signatures(stronghold_engine* engine) {
  const uint8_t first[] = "one", second[] = "two";
  const uint8_t* messages[3] = {first, second, NULL}; /* NULL with length 0: the empty message */
  const size_t lengths[3] = {sizeof first, sizeof second, 0};
  uint8_t signatures[3 * STRONGHOLD_SIGNATURE_SIZE], one[64];
  size_t written = 0;
  EXPECT(stronghold_sign_batch(engine, "wallet/ed", messages, lengths, 3, signatures, sizeof signatures - 1,
                               &written) == STRONGHOLD_BUFFER_TOO_SMALL);
  EXPECT(written == sizeof signatures);
  EXPECT(stronghold_sign_batch(engine, "wallet/ed", messages, lengths, 3, signatures, sizeof signatures, &written) ==
         STRONGHOLD_OK);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT(stronghold_sign(engine, "wallet/ed", messages[i], lengths[i], one, sizeof one, &written) == STRONGHOLD_OK);
    EXPECT(memcmp(one, signatures + i * STRONGHOLD_SIGNATURE_SIZE, 64) == 0); /* Ed25519 is deterministic */
  }
  EXPECT(stronghold_sign_batch(engine, "wallet/ed", NULL, lengths, 3, signatures, sizeof signatures, &written) ==
         STRONGHOLD_INVALID_ARGUMENT);
  EXPECT(stronghold_sign_batch(engine, "wallet/ed", messages, NULL, 3, signatures, sizeof signatures, &written) ==
         STRONGHOLD_INVALID_ARGUMENT);
  EXPECT(stronghold_sign_batch(engine, "wallet/ed", messages, lengths, (size_t)STRONGHOLD_BATCH_MAX + 1, signatures,
                               sizeof signatures, &written) == STRONGHOLD_INVALID_ARGUMENT);
  EXPECT(stronghold_sign_batch(engine, "wallet/none", messages, lengths, 3, signatures, sizeof signatures, &written) ==
         STRONGHOLD_NOT_FOUND);
  EXPECT(stronghold_sign_batch(engine, "wallet/ed", messages, lengths, 0, NULL, 0, &written) == STRONGHOLD_OK);
  EXPECT(written == 0);

  struct answered answer;
  init_answer(&answer);
  EXPECT(stronghold_sign_async(engine, "wallet/ed", first, sizeof first, record_answer, &answer) == STRONGHOLD_OK);
  EXPECT(wait_for_answer(&answer) == STRONGHOLD_OK);
  EXPECT(answer.signature_len == 64 && memcmp(answer.signature, signatures, 64) == 0);
  init_answer(&answer);
  EXPECT(stronghold_sign_async(engine, "wallet/none", first, sizeof first, record_answer, &answer) == STRONGHOLD_OK);
  EXPECT(wait_for_answer(&answer) == STRONGHOLD_NOT_FOUND);
  init_answer(&answer);
  EXPECT(stronghold_sign_async(engine, "wallet/ed", first, sizeof first, NULL, &answer) == STRONGHOLD_INVALID_ARGUMENT);
  EXPECT(atomic_load(&answer.calls) == 0);
}

/* Requests in their wire form answer what the typed calls answer; an engine error comes back in
 * the answer, a request that does not decode as the call's status. */
static void requests_in_their_wire_form(stronghold_engine* engine) {
  /* sign for "wallet/ed", message "hi": version, kind 6, location, message. */
  const uint8_t sign_request[] = {
      STRONGHOLD_WIRE_VERSION, 6, 0, 6, 'w', 'a', 'l', 'l', 'e', 't', 2, 'e', 'd', 2, 'h', 'i'};
  uint8_t* answer = NULL;
  size_t answer_len = 0, written = 0;
  uint8_t signature[64];
  EXPECT(stronghold_sign(engine, "wallet/ed", (const uint8_t*)"hi", 2, signature, sizeof signature, &written) ==
         STRONGHOLD_OK);
  EXPECT(stronghold_call(engine, sign_request, sizeof sign_request, &answer, &answer_len) == STRONGHOLD_OK);
  /* version, kind, status 0, then the signature as a varint length (64) and its bytes */
  EXPECT(answer_len == 5 + 64 && answer[0] == STRONGHOLD_WIRE_VERSION && answer[1] == 6 && answer[2] == 0 &&
         answer[3] == 0 && answer[4] == 64 && memcmp(answer + 5, signature, 64) == 0);
  stronghold_free_answer(answer, answer_len);

  struct answered queued;
  init_answer(&queued);
  EXPECT(stronghold_call_async(engine, sign_request, sizeof sign_request, record_answer, &queued) == STRONGHOLD_OK);
  EXPECT(wait_for_answer(&queued) == STRONGHOLD_OK);
  EXPECT(queued.signature_len == 5 + 64 && memcmp(queued.signature + 5, signature, 64) == 0);

  /* key.public for "wallet/none": the request ran; its answer carries not_found (2) and a message. */
  const uint8_t missing[] = {STRONGHOLD_WIRE_VERSION, 3, 0, 6, 'w', 'a', 'l', 'l', 'e', 't', 4, 'n', 'o', 'n', 'e'};
  EXPECT(stronghold_call(engine, missing, sizeof missing, &answer, &answer_len) == STRONGHOLD_OK);
  EXPECT(answer_len > 5 && answer[3] == STRONGHOLD_NOT_FOUND);
  stronghold_free_answer(answer, answer_len);

  const uint8_t cut[] = {STRONGHOLD_WIRE_VERSION, 3, 0, 6, 'w', 'a'};
  const uint8_t unknown_kind[] = {STRONGHOLD_WIRE_VERSION, 0xff, 0x7f};
  const uint8_t unknown_version[] = {9, 3, 0};
  EXPECT(stronghold_call(engine, cut, sizeof cut, &answer, &answer_len) == STRONGHOLD_INVALID_ARGUMENT);
  EXPECT(answer == NULL && answer_len == 0);
  EXPECT(stronghold_call(engine, unknown_kind, sizeof unknown_kind, &answer, &answer_len) == STRONGHOLD_UNSUPPORTED);
  EXPECT(stronghold_call(engine, unknown_version, sizeof unknown_version, &answer, &answer_len) ==
         STRONGHOLD_UNSUPPORTED);
  EXPECT(stronghold_call(engine, NULL, 0, &answer, &answer_len) == STRONGHOLD_INVALID_ARGUMENT);
  init_answer(&queued);
  EXPECT(stronghold_call_async(engine, cut, sizeof cut, record_answer, &queued) == STRONGHOLD_OK);
  EXPECT(wait_for_answer(&queued) == STRONGHOLD_INVALID_ARGUMENT);
  stronghold_free_answer(NULL, 3);
}

/* Close with asynchronous calls queued: every callback has run exactly once when it returns. */
static void close_waits_for_asynchronous_calls(const char* file, const uint8_t* password, size_t password_len) {
  stronghold_engine* engine = NULL;
  EXPECT(stronghold_open(file, password, password_len, 0, &engine) == STRONGHOLD_OK);
  enum { IN_FLIGHT = 200 };
  static struct answered answers[IN_FLIGHT];
  const uint8_t message[] = "queued";
  for (int i = 0; i < IN_FLIGHT; ++i) {
    init_answer(&answers[i]);
    EXPECT(stronghold_sign_async(engine, "wallet/ed", message, sizeof message, record_answer, &answers[i]) ==
           STRONGHOLD_OK);
  }
  stronghold_close(engine);
  for (int i = 0; i < IN_FLIGHT; ++i) {
    EXPECT(atomic_load(&answers[i].calls) == 1);
    const int status = atomic_load(&answers[i].status);
    EXPECT(status == STRONGHOLD_OK || status == STRONGHOLD_UNAVAILABLE);
  }
}

int main(void) {
  char path[] = "/tmp/stronghold-c-abi-XXXXXX";
  if (mkdtemp(path) == NULL || sodium_init() < 0)
    return 2;
  char file[128];
  (void)snprintf(file, sizeof file, "%s/c.stronghold", path);
  const uint8_t password[] = {'c', '-', 'a', 'b', 'i'};

  stronghold_engine* engine = NULL;
  EXPECT(stronghold_open(file, password, sizeof password, 1, &engine) == STRONGHOLD_OK);
  EXPECT(engine != NULL);
  EXPECT(strlen(stronghold_version()) > 0);

  uint8_t public_key[33], signature[64];
  size_t written = 0;
  EXPECT(stronghold_generate(engine, "wallet/ed", STRONGHOLD_ED25519, 0, public_key, sizeof public_key, &written) ==
         STRONGHOLD_OK);
  EXPECT(written == 32);
  /* An occupied location is refused unless the caller says to replace it. */
  uint8_t other_key[33];
  EXPECT(stronghold_generate(engine, "wallet/ed", STRONGHOLD_ED25519, 0, other_key, sizeof other_key, &written) ==
         STRONGHOLD_ALREADY_EXISTS);
  EXPECT(stronghold_public_key(engine, "wallet/ed", other_key, sizeof other_key, &written) == STRONGHOLD_OK);
  EXPECT(memcmp(other_key, public_key, 32) == 0);
  EXPECT(stronghold_generate(engine, "wallet/ed", STRONGHOLD_ED25519, 8, other_key, sizeof other_key, &written) ==
         STRONGHOLD_INVALID_ARGUMENT);
  EXPECT(stronghold_generate(engine, "wallet/spare", STRONGHOLD_ED25519, 0, other_key, sizeof other_key, &written) ==
         STRONGHOLD_OK);
  EXPECT(stronghold_generate(engine, "wallet/spare", STRONGHOLD_ED25519, STRONGHOLD_REPLACE, public_key + 0, 32,
                             &written) == STRONGHOLD_OK);
  EXPECT(stronghold_generate(engine, "wallet/ed", STRONGHOLD_ED25519, 0, other_key, sizeof other_key, &written) ==
         STRONGHOLD_ALREADY_EXISTS);
  EXPECT(stronghold_public_key(engine, "wallet/ed", public_key, sizeof public_key, &written) == STRONGHOLD_OK);
  const uint8_t message[] = "pay 10";
  EXPECT(stronghold_sign(engine, "wallet/ed", message, sizeof message, signature, sizeof signature, &written) ==
         STRONGHOLD_OK);
  EXPECT(written == 64);
  EXPECT(crypto_sign_verify_detached(signature, message, sizeof message, public_key) == 0);

  /* RFC 8032 TEST 1, imported. */
  uint8_t seed[32], rfc_public[32];
  sodium_hex2bin(seed, sizeof seed, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", 64, NULL, NULL,
                 NULL);
  EXPECT(stronghold_import_key(engine, "wallet/rfc", STRONGHOLD_ED25519, 0, seed, sizeof seed, NULL, 0, &written) ==
         STRONGHOLD_BUFFER_TOO_SMALL);
  EXPECT(written == 32);
  EXPECT(stronghold_public_key(engine, "wallet/rfc", rfc_public, sizeof rfc_public, &written) == STRONGHOLD_NOT_FOUND);
  EXPECT(stronghold_import_key(engine, "wallet/rfc", STRONGHOLD_ED25519, 0, seed, sizeof seed, rfc_public,
                               sizeof rfc_public, &written) == STRONGHOLD_OK);
  sodium_memzero(seed, sizeof seed);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, rfc_public, sizeof rfc_public);
  EXPECT(strcmp(hex, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a") == 0);

  /* secp256k1: a 33-byte public key; a buffer one byte short says how much it needs, and nothing
   * is generated (a probe with a small buffer must not make a key that the real call would then
   * be refused to replace). */
  uint8_t small[32];
  EXPECT(stronghold_generate(engine, "wallet/k1", STRONGHOLD_SECP256K1, 0, small, sizeof small, &written) ==
         STRONGHOLD_BUFFER_TOO_SMALL);
  EXPECT(written == 33);
  EXPECT(stronghold_public_key(engine, "wallet/k1", public_key, sizeof public_key, &written) == STRONGHOLD_NOT_FOUND);
  EXPECT(stronghold_generate(engine, "wallet/k1", STRONGHOLD_SECP256K1, 0, public_key, sizeof public_key, &written) ==
         STRONGHOLD_OK);
  EXPECT(stronghold_public_key(engine, "wallet/k1", public_key, sizeof public_key, &written) == STRONGHOLD_OK);
  EXPECT(written == 33 && (public_key[0] == 2 || public_key[0] == 3));

  /* Errors: clear codes and messages, never a crash. */
  EXPECT(stronghold_sign(engine, "wallet/none", message, sizeof message, signature, sizeof signature, &written) ==
         STRONGHOLD_NOT_FOUND);
  EXPECT(strstr(stronghold_last_error(), "wallet/none") != NULL);
  EXPECT(strcmp(stronghold_status_name(STRONGHOLD_NOT_FOUND), "not_found") == 0);
  EXPECT(stronghold_sign(engine, "no-slash", message, sizeof message, signature, sizeof signature, &written) ==
         STRONGHOLD_INVALID_ARGUMENT);
  EXPECT(stronghold_sign(engine, NULL, message, sizeof message, signature, sizeof signature, &written) ==
         STRONGHOLD_INVALID_ARGUMENT);
  EXPECT(stronghold_sign(NULL, "wallet/ed", message, sizeof message, signature, sizeof signature, &written) ==
         STRONGHOLD_INVALID_ARGUMENT);
  EXPECT(stronghold_generate(engine, "wallet/x", 99, 0, public_key, sizeof public_key, &written) ==
         STRONGHOLD_INVALID_ARGUMENT);
  uint8_t zero[32] = {0};
  EXPECT(stronghold_import_key(engine, "wallet/zero", STRONGHOLD_SECP256K1, 0, zero, sizeof zero, public_key,
                               sizeof public_key, &written) == STRONGHOLD_INVALID_KEY);

  /* The secret store: the library allocates, the caller frees (and the library wipes). */
  const uint8_t value[] = "correct horse";
  EXPECT(stronghold_secret_put(engine, "mail", 0, value, sizeof value) == STRONGHOLD_OK);
  EXPECT(stronghold_secret_put(engine, "mail", 0, value, 3) == STRONGHOLD_ALREADY_EXISTS);
  EXPECT(stronghold_secret_put(engine, "identity/index/did:iota:x", 0, value, 3) == STRONGHOLD_INVALID_ARGUMENT);
  uint8_t* read_back = NULL;
  size_t read_len = 0;
  EXPECT(stronghold_secret_get(engine, "mail", &read_back, &read_len) == STRONGHOLD_OK);
  EXPECT(read_len == sizeof value && read_back != NULL && memcmp(read_back, value, read_len) == 0);
  stronghold_free_secret(read_back, read_len);
  EXPECT(stronghold_secret_get(engine, "none", &read_back, &read_len) == STRONGHOLD_NOT_FOUND);

  /* Identities. */
  char did[128], location[256];
  EXPECT(stronghold_did_create(engine, "dev", "sign-0", did, sizeof did, location, sizeof location) == STRONGHOLD_OK);
  EXPECT(strncmp(did, "did:iota:dev:", 13) == 0);
  EXPECT(stronghold_did_sign(engine, did, location, message, sizeof message, signature, sizeof signature, &written) ==
         STRONGHOLD_OK);
  char tiny[4];
  EXPECT(stronghold_did_create(engine, "dev", "k", tiny, sizeof tiny, location, sizeof location) ==
         STRONGHOLD_BUFFER_TOO_SMALL);
  EXPECT(stronghold_did_create(engine, "dev", "k", did, sizeof did, tiny, sizeof tiny) == STRONGHOLD_BUFFER_TOO_SMALL);
  EXPECT(stronghold_did_create(engine, "BAD", "k", did, sizeof did, location, sizeof location) ==
         STRONGHOLD_INVALID_ARGUMENT);
  EXPECT(stronghold_did_purge(engine, did) == STRONGHOLD_OK);
  EXPECT(stronghold_did_purge(engine, did) == STRONGHOLD_DID_NOT_FOUND);

  batch_and_asynchronous_signatures(engine);
  requests_in_their_wire_form(engine);
  every_null_pointer_and_short_buffer(engine, path);

  EXPECT(stronghold_delete(engine, "wallet/rfc") == STRONGHOLD_OK);
  EXPECT(stronghold_sync(engine) == STRONGHOLD_OK);
  stronghold_close(engine);
  stronghold_close(NULL);

  /* Reopen: a wrong password is refused; the right one gives the same key back. */
  engine = NULL;
  const uint8_t wrong[] = {'n', 'o'};
  EXPECT(stronghold_open(file, wrong, sizeof wrong, 0, &engine) == STRONGHOLD_WRONG_PASSWORD);
  EXPECT(engine == NULL);
  EXPECT(stronghold_open(file, password, sizeof password, 1, &engine) == STRONGHOLD_ALREADY_EXISTS);
  EXPECT(stronghold_open(file, password, sizeof password, 0, &engine) == STRONGHOLD_OK);
  uint8_t again[33];
  EXPECT(stronghold_public_key(engine, "wallet/ed", again, sizeof again, &written) == STRONGHOLD_OK);
  EXPECT(stronghold_public_key(engine, "wallet/rfc", again, sizeof again, &written) == STRONGHOLD_NOT_FOUND);
  stronghold_close(engine);

  close_waits_for_a_call_in_flight(file, password, sizeof password);
  close_waits_for_asynchronous_calls(file, password, sizeof password);

  if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
    ++failures;
  if (failures == 0)
    printf("C ABI: all checks passed\n");
  return failures == 0 ? 0 : 1;
}

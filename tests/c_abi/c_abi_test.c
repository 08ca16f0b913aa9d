/* The C ABI from a C program: open, keys, signatures, secrets, identities, every error path that
 * a binding meets (small buffers, bad input, wrong password), and close. Exits 0 when all pass. */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): glibc's feature-test macro, for nftw's flags */
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

  if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
    ++failures;
  if (failures == 0)
    printf("C ABI: all checks passed\n");
  return failures == 0 ? 0 : 1;
}

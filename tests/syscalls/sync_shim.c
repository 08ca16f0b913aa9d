// Loaded into strongholdd with LD_PRELOAD: appends "CALL PATH" to the file named by
// STRONGHOLD_SYNC_LOG after each fdatasync and fsync returns, PATH being the file the
// descriptor names.
#define _GNU_SOURCE /* glibc's feature-test macro, for RTLD_NEXT */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void log_call(const char* call, int fd) {
  const char* log = getenv("STRONGHOLD_SYNC_LOG");
  if (log == NULL)
    return;
  char link[64], path[PATH_MAX], line[PATH_MAX + 32];
  (void)snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t length = readlink(link, path, sizeof path - 1);
  path[length < 0 ? 0 : length] = '\0';
  const int out = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (out < 0)
    return;
  const int size = snprintf(line, sizeof line, "%s %s\n", call, path);
  if (write(out, line, (size_t)size) != size)
    abort();  // the test would miss a call
  close(out);
}

// Calls the C library's `name` (found past this library), then logs it.
static int call_and_log(const char* name, int fd) {
  int (*real)(int);
  void* symbol = dlsym(RTLD_NEXT, name);
  memcpy(&real, &symbol, sizeof real);  // ISO C has no cast from an object pointer to a function pointer
  const int result = real(fd);
  log_call(name, fd);
  return result;
}

int fdatasync(int fd) { return call_and_log("fdatasync", fd); }
int fsync(int fd) { return call_and_log("fsync", fd); }

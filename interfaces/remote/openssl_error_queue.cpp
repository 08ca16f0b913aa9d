#include "openssl_error_queue.hpp"

#include <dlfcn.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace {

template <class Function>
Function* libssl(const char* name) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): dlsym's answer is a function's address
  return reinterpret_cast<Function*>(::dlsym(RTLD_NEXT, name));
}

using ReadWrite = int(SSL*, void*, int);
using Write = int(SSL*, const void*, int);

ReadWrite* const libssl_read = libssl<ReadWrite>("SSL_read");
Write* const libssl_write = libssl<Write>("SSL_write");

}  // namespace

// These take the place of libssl's functions in the whole process (openssl_error_queue.hpp says
// why). The guard below refuses to start anything over TLS unless libssl's were found.
extern "C" {
int SSL_read(SSL* ssl, void* buffer, int size) {
  ERR_clear_error();
  return libssl_read(ssl, buffer, size);
}
int SSL_write(SSL* ssl, const void* buffer, int size) {
  ERR_clear_error();
  return libssl_write(ssl, buffer, size);
}
}

namespace stronghold::remote {

Status check_openssl_error_queue_guard() {
  if (libssl_read == nullptr || libssl_write == nullptr)
    return Status(Errc::internal, "libssl's SSL_read or SSL_write was not found");
  // Whom a library's call of SSL_read reaches: the first definition in the process's global scope.
  if (::dlsym(RTLD_DEFAULT, "SSL_read") != reinterpret_cast<void*>(&SSL_read) ||  // NOLINT: compared, not called
      ::dlsym(RTLD_DEFAULT, "SSL_write") != reinterpret_cast<void*>(&SSL_write))  // NOLINT: compared, not called
    return Status(Errc::internal,
                  "this program was linked without its OpenSSL error-queue guard exported; CAF's TLS would "
                  "drop connections");
  return {};
}

}  // namespace stronghold::remote

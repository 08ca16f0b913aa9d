#include "tls_files.hpp"

#include <sys/stat.h>

#include <memory>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace stronghold::remote {
namespace {

// A FIFO or a device would block or feed without end: only a regular file (or a link to one).
Status check_regular(const std::string& path, const char* what) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return error(Errc::invalid_argument, "cannot read the {} file {}: {}", what, path, errno_text(errno));
  if (!S_ISREG(info.st_mode))
    return error(Errc::invalid_argument, "the {} file {} is not a regular file", what, path);
  return {};
}

// Refuses to ask: a key that needs a passphrase fails to load instead of prompting.
int no_passphrase(char*, int, int, void*) { return 0; }

}  // namespace

std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0)
    return "no reason given";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "no reason given";
}

Status use_tls_files(SSL_CTX* context, const TlsFiles& files) {
  if (files.certificate.empty() != files.key.empty())
    return Status(Errc::invalid_argument, "a certificate goes with its key: give both or neither");
  ERR_clear_error();
  if (!files.certificate.empty()) {
    SH_RETURN_IF_ERROR(check_regular(files.certificate, "certificate"));
    SH_RETURN_IF_ERROR(check_regular(files.key, "key"));
    SSL_CTX_set_default_passwd_cb(context, no_passphrase);
    if (SSL_CTX_use_certificate_chain_file(context, files.certificate.c_str()) != 1)
      return error(Errc::invalid_argument, "cannot use the certificate in {}: {}", files.certificate, openssl_reason());
    if (SSL_CTX_use_PrivateKey_file(context, files.key.c_str(), SSL_FILETYPE_PEM) != 1)
      return error(Errc::invalid_argument, "cannot use the private key in {} (an encrypted key is not supported): {}",
                   files.key, openssl_reason());
    if (SSL_CTX_check_private_key(context) != 1)
      return error(Errc::invalid_argument, "the key in {} is not the certificate's in {}", files.key,
                   files.certificate);
  }
  if (!files.ca.empty()) {
    SH_RETURN_IF_ERROR(check_regular(files.ca, "CA"));
    if (SSL_CTX_load_verify_locations(context, files.ca.c_str(), nullptr) != 1)
      return error(Errc::invalid_argument, "cannot use the CA certificate in {}: {}", files.ca, openssl_reason());
  }
  return {};
}

Status check_tls_files(const TlsFiles& files) {
  if (files.certificate.empty() || files.key.empty() || files.ca.empty())
    return Status(Errc::invalid_argument,
                  "--tls-cert, --tls-key and --tls-ca are all required: connections between a cluster's "
                  "nodes and clients use mutual TLS only");
  ERR_clear_error();
  const std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_method()), SSL_CTX_free);
  if (!context)
    return error(Errc::internal, "cannot create a TLS context: {}", openssl_reason());
  SH_RETURN_IF_ERROR(use_tls_files(context.get(), files));
  STACK_OF(X509)* chain = nullptr;
  (void)SSL_CTX_get0_chain_certs(context.get(), &chain);
  const std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> verify(X509_STORE_CTX_new(),
                                                                               X509_STORE_CTX_free);
  if (!verify || X509_STORE_CTX_init(verify.get(), SSL_CTX_get_cert_store(context.get()),
                                     SSL_CTX_get0_certificate(context.get()), chain) != 1)
    return error(Errc::internal, "cannot verify a certificate: {}", openssl_reason());
  if (X509_verify_cert(verify.get()) != 1)
    return error(Errc::invalid_argument, "the certificate in {} does not verify against the CA in {}: {}",
                 files.certificate, files.ca, X509_verify_cert_error_string(X509_STORE_CTX_get_error(verify.get())));
  ERR_clear_error();
  return {};
}

}  // namespace stronghold::remote

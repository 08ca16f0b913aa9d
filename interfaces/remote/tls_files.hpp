// The certificate, key and CA file of a node or a client of a cluster (strongholdd --listen,
// stronghold --remote), checked before the actor framework ever reads them.
//
// CAF 0.17.6's OpenSSL module reads these files again for every connection, and on a file it
// cannot use it terminates the serving process or leaves the client waiting; with none of them
// set it falls back to anonymous TLS (AECDH, no authentication). So all three are required, and
// check_tls_files proves, once at start, that they work together.
#pragma once

#include <openssl/types.h>

#include <string>

#include "stronghold/runtime/status.hpp"

namespace stronghold::remote {

struct TlsFiles {
  std::string certificate;  // PEM: this side's certificate (and its chain)
  std::string key;          // PEM: its private key, not encrypted
  std::string ca;           // PEM: the cluster's CA, the only one whose certificates are trusted
};

// invalid_argument, saying which file and why, unless: all three are given; the certificate and
// the key load and match; the key is not encrypted (nothing may prompt for a passphrase); and the
// certificate verifies against the CA at this moment (not expired, signed by it).
Status check_tls_files(const TlsFiles& files);

// Loads `files` into `context`: the certificate and key when both are given (they must load and
// match, and the key must not be encrypted), and the CA when given, as the one trusted to verify
// the peer. invalid_argument naming the file and why; a file that is not a regular file (a FIFO, a
// device) is refused before OpenSSL reads it.
Status use_tls_files(SSL_CTX* context, const TlsFiles& files);

// OpenSSL's reason for the last failure of this thread, its error queue emptied.
std::string openssl_reason();

}  // namespace stronghold::remote

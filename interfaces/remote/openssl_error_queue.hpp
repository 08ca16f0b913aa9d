// CAF 0.17.6's OpenSSL module asks SSL_get_error() what a call of SSL_read or SSL_write meant
// without first emptying the thread's OpenSSL error queue, which OpenSSL requires: SSL_get_error()
// then reports an error left in the queue instead of "want read" or "want write". One
// connection's error (a peer gone without TLS's close_notify, a TCP probe, a refused certificate)
// stays in the queue of the middleman's thread, and CAF takes the next connection's "want read"
// for a failure and closes that connection. Clients connecting to a node at once lost their
// sessions: 6 to 17 of 16 to 36 in a loop of concurrent clients, none once the queue is emptied.
// (SSL_accept and SSL_connect empty it themselves.) CAF's later network module (libcaf_net,
// 0.19) empties the queue before each such call.
//
// openssl_error_queue.cpp defines SSL_read and SSL_write in the program itself, so that the
// dynamic linker binds CAF's calls to them: each empties the queue and calls libssl's.
#pragma once

#include "stronghold/runtime/status.hpp"

namespace stronghold::remote {

// Ok when CAF's calls reach the definitions that empty the queue first; internal otherwise (the
// program was linked without them exported, or libssl's were not found). A listener or a client
// does not start without them.
Status check_openssl_error_queue_guard();

}  // namespace stronghold::remote

// The strongholdd wire protocol (docs/wire-protocol.md): length-prefixed frames over a Unix
// socket, each request carrying an id so that many are in flight per connection.
//
//   frame    = length (u32, big-endian, 1 .. kMaxFrame) || body
//   request  = id (u64 BE) || op (u8) || field*
//   response = id (u64 BE) || status (u8, an Errc; 0 = ok) || field*   (an error: one field, the message)
//   field    = length (u32 BE) || bytes
//
// Protocol version 2 (kProtocolVersion, the answer of ping): clients send engine requests in
// their wire form (op 11). Version 1 clients sent command words (op 10), which are answered
// `unsupported` with a message that says so.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "stronghold/actors/events.hpp"
#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/secret_bytes.hpp"

namespace stronghold::wire {

inline constexpr std::size_t kMaxFrame = 1 << 20;
inline constexpr std::size_t kMaxFields = 4097;  // a batch: the location and up to 4096 messages
// A request or an answer in its wire form, as the request op's one field: what a frame holds
// besides the id (8 bytes), the code (1) and the field's length (4). Below the codec's own bound.
inline constexpr std::size_t kMaxWireMessage = kMaxFrame - 13;

inline constexpr std::uint8_t kProtocolVersion = 2;

enum class Op : std::uint8_t {
  ping = 1,        // [] -> [protocol version (one byte)]
  unlock = 2,      // [password]
  lock = 3,        // []
  generate = 4,    // [location, key type name] -> [public key]
  public_key = 5,  // [location] -> [public key]
  sign = 6,        // [location, message] -> [signature]
  sign_batch = 7,  // [location, message...] -> [signature...]
  remove = 8,      // [location]
  sync = 9,        // []
  // Protocol version 1's command words; answered unsupported, saying which version this is.
  retired_command = 10,
  // An engine request in its wire form (docs/wire-protocol.md, "The request op"): [request] ->
  // [answer], status 0 whenever the request decoded, even when its answer carries an error.
  request = 11,
  // A client identity, proven in two steps (docs/wire-protocol.md, "Client identities"):
  // [client name] -> [challenge: kChallengeSize random bytes]; then [Ed25519 signature of
  // client_proof_message] -> [], and the connection's caller is "client:NAME" from then on.
  challenge = 12,
  prove = 13,
  // The watch stream (docs/wire-protocol.md, "Watching"): [] or [queue capacity, u32 big-endian] -> [], then,
  // under the same id, one message per event (event_fields) for as long as the connection lasts.
  watch = 14,
  // [] or [applied: u64 big-endian] -> []: another node of the cluster forwards its requests on
  // this connection (daemon/forwarder.hpp): they are served by this node, never forwarded again,
  // and only while this node has applied the cluster's journal as far as the forwarding node had
  // (`applied`, sent again whenever it moved; the largest counts).
  from_peer = 15,
  // [offset: u64] -> [the file: device and inode, u64 each] [its size now: u64] [its bytes from
  // offset, at most 512 KiB]: a piece of the node's snapshot file, for a node of the cluster that
  // fell behind the journal's start (daemon/image_copy.hpp). Only for the snapshot's owner.
  image = 16,
};
inline constexpr Op kLastOp = Op::image;

inline constexpr std::size_t kChallengeSize = 32;
// Failed proofs a connection may make; the last one's answer is followed by a hang-up, so a
// client cannot try keys without end.
inline constexpr unsigned kMaxFailedProofs = 3;

// What a client signs to prove `name` on the connection that issued `challenge`: a context
// string (so that the signature means nothing elsewhere) || the challenge || the name.
Bytes client_proof_message(ByteView challenge, std::string_view name);

// A request or an answer. Its fields may hold a password, a private key or a command's secret
// output: they are wiped when the message dies or is assigned over, and a message is moved,
// never copied.
struct Message {
  std::uint64_t id = 0;
  std::uint8_t code = 0;  // the op of a request, the status of a response
  std::vector<Bytes> fields;

  Message() = default;
  Message(std::uint64_t message_id, std::uint8_t message_code, std::vector<Bytes> message_fields) noexcept
      : id(message_id), code(message_code), fields(std::move(message_fields)) {}
  Message(Message&&) noexcept = default;
  Message& operator=(Message&& other) noexcept;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  ~Message() { wipe_fields(); }
  void wipe_fields() noexcept;
};

// The frame of `message`, in a container that wipes what it frees.
runtime::SecretBytes encode_frame(const Message& message);
// Decodes a frame body: invalid_argument for anything malformed (short, trailing bytes, a field
// past the end, too many fields, an unknown op when `request`).
Result<Message> decode_body(ByteView body, bool request);

// An unsigned integer as a field of its own: 8 bytes, big-endian; and back (invalid_argument for
// a field of another size).
Bytes u64_field(std::uint64_t value);
Result<std::uint64_t> u64_from_field(ByteView field);

// An event of the watch stream as a message's fields: type (u8) || time (unix ms, i64
// big-endian, like every integer of this protocol) || caller || kind || location || detail; and back (invalid_argument
// when the fields are not one).
std::vector<Bytes> event_fields(const actors::Event& event);
Result<actors::Event> event_from_fields(const std::vector<Bytes>& fields);

// Cuts frames out of a byte stream as it arrives.
class FrameReader {
 public:
  // Appends bytes; invalid_argument (and the reader is spent) on a frame length of 0 or more
  // than kMaxFrame.
  Status feed(ByteView bytes);
  // The next complete frame body, if any.
  // Frames may hold a password or a key: the buffer wipes what it frees as it grows, and each
  // frame's bytes once they are handed out.
  bool next(runtime::SecretBytes& body);
  std::size_t buffered() const noexcept { return buffer_.size(); }

 private:
  runtime::SecretBytes buffer_;
  std::size_t consumed_ = 0;
  bool failed_ = false;
};

}  // namespace stronghold::wire

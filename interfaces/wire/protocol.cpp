#include "protocol.hpp"

#include <algorithm>

namespace stronghold::wire {
namespace {

void put_u32(runtime::SecretBytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(value >> shift));
}

std::size_t fields_size(const std::vector<Bytes>& fields) {
  std::size_t size = 0;
  for (const Bytes& field : fields)
    size += 4 + field.size();
  return size;
}

std::uint64_t get_be(ByteView bytes, std::size_t size) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i)
    value = value << 8 | bytes[i];
  return value;
}

// Fields may hold secrets: the output is reserved whole first, so it never grows out of a block
// that would be freed unwiped.
void put_fields(runtime::SecretBytes& out, const std::vector<Bytes>& fields) {
  out.reserve(out.size() + fields_size(fields));
  for (const Bytes& field : fields) {
    put_u32(out, static_cast<std::uint32_t>(field.size()));
    out.append(field);
  }
}

Status get_fields(ByteView bytes, std::vector<Bytes>& fields) {
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    if (fields.size() == kMaxFields)
      return Status(Errc::invalid_argument, "too many fields");
    if (bytes.size() - offset < 4)
      return Status(Errc::invalid_argument, "a field length is cut short");
    const std::size_t size = get_be(bytes.subspan(offset), 4);
    offset += 4;
    if (size > bytes.size() - offset)
      return Status(Errc::invalid_argument, "a field runs past the end of its frame");
    fields.emplace_back(bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                        bytes.begin() + static_cast<std::ptrdiff_t>(offset + size));
    offset += size;
  }
  return {};
}

}  // namespace

Message& Message::operator=(Message&& other) noexcept {
  wipe_fields();
  id = other.id;
  code = other.code;
  fields = std::move(other.fields);
  return *this;
}

void Message::wipe_fields() noexcept {
  for (Bytes& field : fields)
    runtime::wipe(field.data(), field.size());
}

runtime::SecretBytes encode_frame(const Message& message) {
  runtime::SecretBytes frame;
  frame.reserve(4 + 8 + 1 + fields_size(message.fields));
  put_u32(frame, static_cast<std::uint32_t>(8 + 1 + fields_size(message.fields)));
  for (int shift = 56; shift >= 0; shift -= 8)
    frame.push_back(static_cast<std::uint8_t>(message.id >> shift));
  frame.push_back(message.code);
  put_fields(frame, message.fields);
  return frame;
}

Bytes client_proof_message(ByteView challenge, std::string_view name) {
  constexpr std::string_view kContext = "stronghold client proof v1";
  Bytes message(kContext.size() + challenge.size() + name.size());
  auto next = std::copy(kContext.begin(), kContext.end(), message.begin());
  next = std::copy(challenge.begin(), challenge.end(), next);
  std::copy(name.begin(), name.end(), next);
  return message;
}

Result<Message> decode_body(ByteView body, bool request) {
  if (body.size() < 9)
    return Status(Errc::invalid_argument, "a frame body holds at least an id and a code");
  Message message;
  message.id = get_be(body, 8);
  message.code = body[8];
  if (request &&
      (message.code < static_cast<std::uint8_t>(Op::ping) || message.code > static_cast<std::uint8_t>(kLastOp)))
    return error(Errc::invalid_argument, "unknown operation {}", message.code);
  SH_RETURN_IF_ERROR(get_fields(body.subspan(9), message.fields));
  return message;
}

Status FrameReader::feed(ByteView bytes) {
  if (failed_)
    return Status(Errc::invalid_argument, "the stream already failed");
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  buffer_.append(bytes);
  // Check every complete length prefix now, so an oversized frame is refused before its body.
  std::size_t offset = consumed_;
  while (buffer_.size() - offset >= 4) {
    const std::size_t length = get_be(buffer_.view().subspan(offset), 4);
    if (length == 0 || length > kMaxFrame) {
      failed_ = true;
      return error(Errc::invalid_argument, "a frame of {} bytes (1 to {} allowed)", length, kMaxFrame);
    }
    if (buffer_.size() - offset - 4 < length)
      break;
    offset += 4 + length;
  }
  return {};
}

bool FrameReader::next(runtime::SecretBytes& body) {
  if (failed_ || buffer_.size() - consumed_ < 4)
    return false;
  const std::size_t length = get_be(buffer_.view().subspan(consumed_), 4);
  if (buffer_.size() - consumed_ - 4 < length)
    return false;
  body = runtime::SecretBytes(buffer_.view().subspan(consumed_ + 4, length));
  runtime::wipe(buffer_.data() + consumed_, 4 + length);  // no copy stays behind in the buffer
  consumed_ += 4 + length;
  if (consumed_ > (1 << 16) && consumed_ * 2 > buffer_.size()) {  // keep the buffer from growing without end
    buffer_.consume(consumed_);
    consumed_ = 0;
  }
  return true;
}

Bytes u64_field(std::uint64_t value) {
  Bytes field(8);
  for (std::size_t i = 0; i < 8; ++i)
    field[i] = static_cast<std::uint8_t>(value >> (8 * (7 - i)));
  return field;
}

Result<std::uint64_t> u64_from_field(ByteView field) {
  if (field.size() != 8)
    return error(Errc::invalid_argument, "an integer field is 8 bytes, not {}", field.size());
  return get_be(field, 8);
}

std::vector<Bytes> event_fields(const actors::Event& event) {
  const auto text = [](const std::string& field) { return Bytes(field.begin(), field.end()); };
  std::vector<Bytes> fields;
  fields.push_back(Bytes{static_cast<std::uint8_t>(event.type)});
  fields.push_back(u64_field(static_cast<std::uint64_t>(event.time_ms)));
  fields.push_back(text(event.caller));
  fields.push_back(text(event.kind));
  fields.push_back(text(event.location));
  fields.push_back(text(event.detail));
  return fields;
}

Result<actors::Event> event_from_fields(const std::vector<Bytes>& fields) {
  const bool shaped = fields.size() == 6 && fields[0].size() == 1 && fields[1].size() == 8 &&
                      std::all_of(fields.begin() + 2, fields.end(),
                                  [](const Bytes& field) { return field.size() <= actors::kMaxEventField; });
  if (!shaped || fields[0][0] == 0 || fields[0][0] > static_cast<std::uint8_t>(actors::kLastEventType))
    return Status(Errc::invalid_argument, "strongholdd sent an event this client cannot read");
  actors::Event event;
  event.type = static_cast<actors::EventType>(fields[0][0]);
  event.time_ms = static_cast<std::int64_t>(get_be(fields[1], 8));
  const auto text = [](const Bytes& field) { return std::string(field.begin(), field.end()); };
  event.caller = text(fields[2]);
  event.kind = text(fields[3]);
  event.location = text(fields[4]);
  event.detail = text(fields[5]);
  return event;
}

}  // namespace stronghold::wire

// libFuzzer target: strongholdd's frame reader and body decoder on arbitrary client bytes. The
// input is cut into chunks (as reads would deliver it) by its first byte; every frame found is
// decoded as a request, and its fields as lists (a command's words, its output). None may
// crash, read out of bounds, or buffer without bound.
#include <cstddef>
#include <cstdint>

#include "wire/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace stronghold;
  if (size == 0)
    return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  wire::FrameReader reader;
  runtime::SecretBytes body;
  for (std::size_t offset = 1; offset < size; offset += chunk) {
    const std::size_t length = std::min(chunk, size - offset);
    if (!reader.feed(ByteView(data + offset, length)).ok())
      return 0;
    while (reader.next(body)) {
      auto message = wire::decode_body(body.view(), true);
      if (message.ok()) {
        // A decoded request encodes back to the same frame.
        const runtime::SecretBytes again = wire::encode_frame(*message);
        if (again.size() != body.size() + 4 ||
            !std::equal(body.view().begin(), body.view().end(), again.view().begin() + 4))
          __builtin_trap();
      }
    }
    if (reader.buffered() > 2 * wire::kMaxFrame + 64)
      __builtin_trap();
  }
  return 0;
}

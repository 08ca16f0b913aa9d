// libFuzzer target: the engine's wire decoder (actors/wire.hpp) on arbitrary bytes, as a request
// of whatever kind the header names and as that kind's answer. None may crash, read out of
// bounds or allocate a claimed size; whatever decodes must encode back to the same bytes (the
// decoder accepts canonical encodings only).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "stronghold/actors/wire.hpp"

namespace {

using namespace stronghold;
using namespace stronghold::actors;

void same_bytes_or_trap(const Result<runtime::SecretBytes>& again, ByteView input) {
  if (!again.ok() || !std::ranges::equal(again->view(), input))
    __builtin_trap();
}

template <EngineRequest R>
void answer_round_trip(ByteView input) {
  auto answer = wire::decode_answer<R>(input);
  if (answer.ok())
    same_bytes_or_trap(wire::encode_answer<R>(*answer), input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  const Status visited = wire::decode_and_visit(input, [&]<class R>(R& request) {
    same_bytes_or_trap(wire::encode_request(request), input);
    return Status{};
  });
  (void)visited;
  if (auto kind = wire::message_kind(input); kind.ok())
    for_each_request_type([&]<class R>(R) {
      if (kind_of<R> == *kind)
        answer_round_trip<R>(input);
    });
  return 0;
}

// Dispatch tables: from a request's kind to the one function that serves it (internal to the
// actor floor). The vault actor, the identity registry and its partitions each have one.
#pragma once

#include <array>
#include <cstddef>

#include "stronghold/actors/messages.hpp"

namespace stronghold::actors {

inline constexpr std::size_t kKindSlots = 128;  // every kind number is below this

template <class Handler>
using DispatchTable = std::array<Handler, kKindSlots>;

// A table with `pick(Request{})` for every request type: a Handler, or null for a kind the
// table's actor does not serve.
template <class Handler, class Pick>
DispatchTable<Handler> make_dispatch_table(Pick pick) {
  DispatchTable<Handler> table{};
  for_each_request_type([&](auto request) {
    constexpr auto slot = static_cast<std::size_t>(kind_of<decltype(request)>);
    static_assert(slot < kKindSlots, "a request kind outgrew the dispatch tables");
    table[slot] = pick(request);
  });
  return table;
}

// The handler of `kind`, or null.
template <class Handler>
Handler handler_of(const DispatchTable<Handler>& table, RequestKind kind) noexcept {
  const auto slot = static_cast<std::size_t>(kind);
  return slot < table.size() ? table[slot] : nullptr;
}

inline caf::error not_served(RequestKind kind) {
  return to_error(error(Errc::invalid_argument, "request kind {} is not served here", static_cast<unsigned>(kind)));
}

inline caf::error envelope_mismatch() {
  return to_error(Status(Errc::invalid_argument, "the envelope does not hold the request its kind names"));
}

}  // namespace stronghold::actors

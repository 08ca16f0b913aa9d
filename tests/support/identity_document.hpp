// A DID document of IOTA Identity 0.6's shape ({"doc":{"id":DID,...},"meta":{}}) padded to a given
// size, for the identity storage's size bounds.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace stronghold::test {

inline std::string padded_document(std::string_view did, std::size_t size) {
  std::string document = R"({"doc":{"id":")" + std::string(did) + R"(","padding":")";
  const std::string_view tail = R"("},"meta":{}})";
  document.append(size - document.size() - tail.size(), 'x');
  return document.append(tail);
}

}  // namespace stronghold::test

// A whole file as bytes or text, for tests that damage or splice files and read outputs.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

#include "stronghold/runtime/hex.hpp"

namespace stronghold::test {

inline Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// The same as text (output files, byte-for-byte comparisons).
inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::string& path, ByteView bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace stronghold::test

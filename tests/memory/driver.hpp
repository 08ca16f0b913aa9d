// The loop of the memory-scan test's drivers (facade_driver.cpp, c_abi_driver.cpp): each runs
// the engine in a process of its own, so that the process holds no secret but those the engine
// was given. Commands come on standard input, one per line:
//
//   OP [WORD...] SECRET_LENGTH\n  followed by SECRET_LENGTH bytes
//
// Each secret is read straight into guarded memory, the command runs, the secret is wiped, and
// the driver answers "done CODE\n" (0 for success) on standard output. Ops: create PATH,
// import LOCATION TYPE, generate LOCATION, sign LOCATION, batch LOCATION, derive SEED LOCATION,
// mnemonic LOCATION, put NAME, get NAME, close (the C ABI has no batch, derive nor mnemonic).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <sodium.h>

#include "stronghold/runtime/hardening.hpp"
#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/secret_buffer.hpp"

namespace stronghold::test {

inline std::string read_line() {
  std::string line;
  char c = 0;
  while (::read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
    line.push_back(c);
  return line;
}

// The secret that follows a command, read into guarded memory.
inline runtime::SecretBuffer read_secret(std::size_t size) {
  auto buffer = runtime::SecretBuffer::create(size).value();
  auto view = buffer.write();
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(STDIN_FILENO, view.bytes().data() + got, size - got);
    if (n <= 0)
      std::exit(3);  // NOLINT(concurrency-mt-unsafe): no other thread ever calls exit
    got += static_cast<std::size_t>(n);
  }
  return buffer;
}

inline const Bytes kDriverMessage = {'s', 'c', 'a', 'n'};

// Runs commands until standard input ends; `run` returns the command's status code.
inline int drive(char** argv, const std::function<int(const std::vector<std::string>&, ByteView)>& run) {
  runtime::exec_with_symbols_bound_now(argv);
  if (sodium_init() < 0)
    return 2;
  for (std::string line = read_line(); !line.empty(); line = read_line()) {
    std::vector<std::string> words;
    std::istringstream split(line);
    for (std::string word; split >> word;)
      words.push_back(word);
    const std::size_t size = std::stoul(words.back());
    words.pop_back();
    int code = 0;
    {
      const runtime::SecretBuffer secret = read_secret(size);
      auto view = secret.read();
      code = run(words, view.bytes());
    }
    std::printf("done %d\n", code);
    (void)std::fflush(stdout);
  }
  return 0;
}

}  // namespace stronghold::test

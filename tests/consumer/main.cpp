#include <cstdio>

#include <stronghold/stronghold.hpp>

int main() {
  auto key = stronghold::runtime::SecretBuffer::create(32);
  if (!key.ok()) {
    std::fprintf(stderr, "%s\n", key.status().to_string().c_str());
    return 1;
  }
  std::printf("consumer linked stronghold %s\n", stronghold::version());
  return 0;
}

#include "stronghold/vault/keccak.hpp"

#include <bit>
#include <cstring>

#include "stronghold/runtime/compare.hpp"

namespace stronghold::vault {
namespace {

constexpr std::size_t kRate = 136;  // (1600 - 2 * 256) / 8 bytes absorbed per permutation

constexpr std::array<std::uint64_t, 24> kRoundConstants = {
    0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000, 0x000000000000808b,
    0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008a, 0x0000000000000088,
    0x0000000080008009, 0x000000008000000a, 0x000000008000808b, 0x800000000000008b, 0x8000000000008089,
    0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008};

// The rho rotations and pi destinations, walked along pi's single cycle through lanes 1..24.
constexpr std::array<int, 24> kRotations = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                            27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr std::array<int, 24> kPiLanes = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                                          15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

using State = std::array<std::uint64_t, 25>;

void theta(State& a) {
  std::array<std::uint64_t, 5> column{};
  for (int x = 0; x < 5; ++x)
    column[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
  for (int x = 0; x < 5; ++x) {
    const std::uint64_t d = column[(x + 4) % 5] ^ std::rotl(column[(x + 1) % 5], 1);
    for (int y = 0; y < 25; y += 5)
      a[y + x] ^= d;
  }
}

void rho_pi(State& a) {
  std::uint64_t carried = a[1];
  for (int i = 0; i < 24; ++i) {
    const std::uint64_t next = a[kPiLanes[i]];
    a[kPiLanes[i]] = std::rotl(carried, kRotations[i]);
    carried = next;
  }
}

void chi(State& a) {
  for (int y = 0; y < 25; y += 5) {
    std::array<std::uint64_t, 5> row;
    std::memcpy(row.data(), &a[y], sizeof(row));
    for (int x = 0; x < 5; ++x)
      a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
  }
}

void keccak_f1600(State& a) {
  for (const std::uint64_t constant : kRoundConstants) {
    theta(a);
    rho_pi(a);
    chi(a);
    a[0] ^= constant;  // iota
  }
}

// XORs a block of up to kRate bytes into the state's lanes, little-endian.
void absorb(State& state, const std::uint8_t* block, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i)
    state[i / 8] ^= static_cast<std::uint64_t>(block[i]) << (8 * (i % 8));
}

}  // namespace

std::array<std::uint8_t, kKeccak256Bytes> keccak256(ByteView message) noexcept {
  State state{};
  std::size_t offset = 0;
  for (; message.size() - offset >= kRate; offset += kRate) {
    absorb(state, message.data() + offset, kRate);
    keccak_f1600(state);
  }
  absorb(state, message.data() + offset, message.size() - offset);
  // Keccak's pad10*1 with the submission's domain bit: 0x01 first, 0x80 on the rate's last byte.
  const std::size_t tail = message.size() - offset;
  state[tail / 8] ^= std::uint64_t{0x01} << (8 * (tail % 8));
  state[(kRate - 1) / 8] ^= std::uint64_t{0x80} << (8 * ((kRate - 1) % 8));
  keccak_f1600(state);
  std::array<std::uint8_t, kKeccak256Bytes> digest;
  for (std::size_t i = 0; i < digest.size(); ++i)
    digest[i] = static_cast<std::uint8_t>(state[i / 8] >> (8 * (i % 8)));
  runtime::secure_wipe(std::span(reinterpret_cast<std::uint8_t*>(state.data()), sizeof(state)));
  return digest;
}

}  // namespace stronghold::vault

// A version 3 body, sealed in parts (format.hpp): a state of many parts opens whole, and a part
// dropped, moved or taken from another body is damage, not a smaller state.
#include <doctest/doctest.h>

#include "fixture.hpp"
#include "stronghold/runtime/byte_codec.hpp"

using namespace stronghold;
using namespace stronghold::snapshot;
using stronghold::test::SnapshotFixture;

namespace {

constexpr std::size_t kBodyStart = kHeaderSize + 32;  // after N, T and L

struct Part {
  std::size_t offset;
  std::size_t size;  // with its 8-byte frame
};

std::uint64_t body_length(const Bytes& file) {
  std::uint64_t length = 0;
  ByteReader in(ByteView(file).subspan(kHeaderSize + 24, 8));
  in.u64(length);
  return length;
}

void set_body_length(Bytes& file, std::uint64_t length) {
  for (std::size_t i = 0; i < 8; ++i)
    file[kHeaderSize + 24 + i] = static_cast<std::uint8_t>(length >> (8 * i));
}

std::vector<Part> body_parts(const Bytes& file) {
  std::vector<Part> parts;
  const std::size_t end = kBodyStart + body_length(file);
  for (std::size_t offset = kBodyStart; offset < end;) {
    std::uint32_t size = 0;
    ByteReader in(ByteView(file).subspan(offset, 4));
    in.u32(size);
    parts.push_back({offset, 8 + size});
    offset += 8 + size;
  }
  return parts;
}

// `file` with its body's parts replaced by `parts` (taken from `source`), its journal kept.
Bytes with_parts(const Bytes& file, const Bytes& source, const std::vector<Part>& parts) {
  Bytes changed(file.begin(), file.begin() + kBodyStart);
  for (const Part& part : parts)
    changed.insert(changed.end(), source.begin() + static_cast<std::ptrdiff_t>(part.offset),
                   source.begin() + static_cast<std::ptrdiff_t>(part.offset + part.size));
  set_body_length(changed, changed.size() - kBodyStart);
  changed.insert(changed.end(), file.begin() + static_cast<std::ptrdiff_t>(kBodyStart + body_length(file)), file.end());
  return changed;
}

struct PartsFixture : SnapshotFixture {
  PartsFixture() { options.body_part_bytes = 512; }

  // A compacted snapshot of `keys` keys in three vaults, and a key in its journal.
  void write(int keys) {
    auto snapshot = create();
    vault::Transaction tx(snapshot->keystore());
    for (int i = 0; i < keys; ++i)
      REQUIRE(vault::generate_key(tx, at(fmt::format("v{}/k{}", i % 3, i)), vault::KeyType::ed25519).ok());
    REQUIRE(snapshot->commit(std::move(tx)).ok());
    REQUIRE(snapshot->compact().ok());
    add_key(*snapshot, "journal/k");
  }

  void check_corrupted(const Bytes& file, std::string_view what) {
    INFO(what);
    write_file(file);
    auto opened = open();
    CHECK(opened.code() == Errc::corrupted);
  }
};

}  // namespace

TEST_CASE_FIXTURE(PartsFixture, "a body of many parts opens with every record, its journal after it") {
  write(300);
  const Bytes file = read_file();
  CHECK(body_parts(file).size() > 20);
  auto opened = open();
  REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
  CHECK((*opened)->open_report().journal_entries == 1);
  CHECK((*opened)->keystore().list().size() == 301);
  for (int i = 0; i < 300; i += 37)
    CHECK((*opened)->keystore().exists(at(fmt::format("v{}/k{}", i % 3, i))));
  CHECK((*opened)->keystore().exists(at("journal/k")));
}

TEST_CASE_FIXTURE(PartsFixture, "an empty state is one part") {
  create().reset();
  CHECK(body_parts(read_file()).size() == 1);
  auto opened = open();
  REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
  CHECK((*opened)->keystore().list().empty());
}

TEST_CASE_FIXTURE(PartsFixture, "a body part dropped, moved or taken from another body makes the file corrupted") {
  write(60);
  const Bytes file = read_file();
  const std::vector<Part> parts = body_parts(file);
  REQUIRE(parts.size() >= 4);
  std::vector<Part> changed(parts.begin(), parts.end() - 1);
  check_corrupted(with_parts(file, file, changed), "the last part dropped");
  changed = parts;
  changed.erase(changed.begin() + 1);
  check_corrupted(with_parts(file, file, changed), "a middle part dropped");
  changed = parts;
  std::swap(changed[1], changed[2]);
  check_corrupted(with_parts(file, file, changed), "two parts swapped");
  changed = parts;
  changed.push_back(parts[1]);
  check_corrupted(with_parts(file, file, changed), "a part repeated at the end");
  Bytes lengths = file;
  set_body_length(lengths, 0);
  check_corrupted(lengths, "no parts");
  set_body_length(lengths, body_length(file) + body_parts(file).size());
  check_corrupted(lengths, "the body stretched over the journal's first bytes");
  set_body_length(lengths, file.size() - kBodyStart);
  check_corrupted(lengths, "the body stretched over the whole journal");

  // Another body of the same state: written again, with its own parts.
  write_file(file);
  {
    auto snapshot = open();
    REQUIRE(snapshot.ok());
    REQUIRE((*snapshot)->compact().ok());
  }
  const Bytes other = read_file();
  const std::vector<Part> other_parts = body_parts(other);
  REQUIRE(other_parts.size() >= 2);
  std::vector<Part> first_then_other = {parts[0]};
  first_then_other.insert(first_then_other.end(), other_parts.begin() + 1, other_parts.end());
  Bytes spliced(file.begin(), file.begin() + kBodyStart);
  for (std::size_t i = 0; i < first_then_other.size(); ++i) {
    const Bytes& from = i == 0 ? file : other;
    spliced.insert(spliced.end(), from.begin() + static_cast<std::ptrdiff_t>(first_then_other[i].offset),
                   from.begin() + static_cast<std::ptrdiff_t>(first_then_other[i].offset + first_then_other[i].size));
  }
  set_body_length(spliced, spliced.size() - kBodyStart);
  check_corrupted(spliced, "the parts of two bodies mixed");

  write_file(file);  // and the file as it was still opens
  auto opened = open();
  REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
  CHECK((*opened)->keystore().list().size() == 61);
}

// Journal entries are chained (each one's associated data holds its sequence number and the tag
// of what it follows), so whole, authentic entries put in another order, twice, or after a
// compaction they predate are refused. Each change below would apply cleanly on its own: only the
// chain tells. What the user sees is a corrupted error naming the entry that is out of place.
#include <doctest/doctest.h>

#include "fixture.hpp"

using namespace stronghold;
using stronghold::test::SnapshotFixture;

namespace {

// The file cut into its base (header and body) and its whole journal entries.
struct Journal {
  Bytes base;
  std::vector<Bytes> entries;

  Bytes joined() const {
    Bytes file = base;
    for (const Bytes& entry : entries)
      file.insert(file.end(), entry.begin(), entry.end());
    return file;
  }
};

Journal split(SnapshotFixture& fixture) {
  std::uint64_t journal_start = 0;
  {
    auto snapshot = fixture.open();
    REQUIRE(snapshot.ok());
    journal_start = (*snapshot)->file_bytes() - (*snapshot)->journal_bytes();
  }
  const Bytes file = fixture.read_file();
  Journal journal{Bytes(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(journal_start)), {}};
  for (std::size_t offset = journal_start; offset < file.size();) {
    const std::uint32_t sealed = static_cast<std::uint32_t>(file[offset]) | file[offset + 1] << 8 |
                                 file[offset + 2] << 16 | static_cast<std::uint32_t>(file[offset + 3]) << 24;
    const std::size_t size = 8 + sealed;  // length, its complement, the seal
    REQUIRE(offset + size <= file.size());
    journal.entries.emplace_back(file.begin() + static_cast<std::ptrdiff_t>(offset),
                                 file.begin() + static_cast<std::ptrdiff_t>(offset + size));
    offset += size;
  }
  return journal;
}

// The open of the file is refused as corrupted, naming entry `entry` as the one that failed.
void refused_at_entry(SnapshotFixture& fixture, int entry) {
  const auto opened = fixture.open();
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.code() == Errc::corrupted);
  const std::string seen = fmt::format("journal entry {} at byte", entry);
  CHECK_MESSAGE(opened.status().message().find(seen) != std::string::npos, opened.status().to_string());
  CHECK_MESSAGE(opened.status().message().find("failed to authenticate") != std::string::npos,
                opened.status().to_string());
}

}  // namespace

TEST_CASE_FIXTURE(SnapshotFixture, "journal entries swapped, repeated or spliced across a compaction are corrupted") {
  {
    auto snapshot = create();
    for (int i = 0; i < 3; ++i)
      add_key(*snapshot, fmt::format("w/k{}", i));
  }
  Journal journal = split(*this);
  REQUIRE(journal.entries.size() == 3);

  SUBCASE("untouched, the file opens with its three keys") {
    write_file(journal.joined());
    const auto opened = open();
    REQUIRE(opened.ok());
    CHECK((*opened)->keystore().list().size() == 3);
  }
  SUBCASE("two entries swapped") {
    std::swap(journal.entries[1], journal.entries[2]);
    write_file(journal.joined());
    refused_at_entry(*this, 2);
  }
  SUBCASE("an entry repeated") {
    journal.entries.insert(journal.entries.begin() + 2, journal.entries[1]);
    write_file(journal.joined());
    refused_at_entry(*this, 3);
  }
  SUBCASE("the first entry before a compaction appended after it (it would bring back a deleted key)") {
    {
      auto snapshot = open();
      REQUIRE(snapshot.ok());
      vault::Transaction tx((*snapshot)->keystore());
      REQUIRE(tx.revoke(at("w/k0")).ok());
      REQUIRE((*snapshot)->commit(std::move(tx)).ok());
      REQUIRE((*snapshot)->compact().ok());
    }
    Journal compacted = split(*this);
    REQUIRE(compacted.entries.empty());
    // The chain goes on across the body (format version 2): entry 5 is next there, not entry 1.
    compacted.entries.push_back(journal.entries[0]);
    write_file(compacted.joined());
    refused_at_entry(*this, 5);
  }
}

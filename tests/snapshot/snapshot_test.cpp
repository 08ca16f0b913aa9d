#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>

#include <doctest/doctest.h>
#include <sodium.h>

#include "fixture.hpp"
#include "stronghold/snapshot/change_codec.hpp"
#include "stronghold/vault/sign.hpp"
#include "stronghold/vault/verify.hpp"

using namespace stronghold;
using namespace stronghold::snapshot;
using stronghold::test::kPassword;
using stronghold::test::SnapshotFixture;
using stronghold::test::TempDir;

namespace {

const Bytes kMessage = {'m', 's', 'g'};

// Five keys in five commits; returns their public keys.
std::vector<Bytes> five_keys(SnapshotFixture& fixture) {
  auto snapshot = fixture.create();
  std::vector<Bytes> keys;
  keys.reserve(5);
  for (int i = 0; i < 5; ++i)
    keys.push_back(SnapshotFixture::add_key(*snapshot, fmt::format("w/k{}", i)));
  return keys;
}

}  // namespace

TEST_CASE_FIXTURE(SnapshotFixture, "a snapshot reopens with every committed key, secret and vault") {
  Bytes public_key;
  {
    auto snapshot = create();
    public_key = add_key(*snapshot, "wallet/main");
    vault::Transaction tx(snapshot->keystore());
    REQUIRE(tx.put_secret("mail", Bytes{'p', 'w'}).ok());
    REQUIRE(snapshot->commit(std::move(tx)).ok());
    CHECK(snapshot->journal_bytes() > 0);
  }
  auto reopened = open();
  REQUIRE_MESSAGE(reopened.ok(), reopened.status().to_string());
  const auto& keystore = (*reopened)->keystore();
  CHECK((*reopened)->open_report().journal_entries == 2);
  CHECK(keystore.public_key(at("wallet/main")).value() == public_key);
  CHECK(
      vault::verify_ed25519(public_key, kMessage, vault::sign_ed25519(keystore, at("wallet/main"), kMessage).value()));
  auto secret = keystore.read_secret("mail");
  REQUIRE(secret.ok());
  CHECK(secret->read().bytes()[1] == 'w');
}

TEST_CASE_FIXTURE(SnapshotFixture, "create refuses to overwrite, and a second opener is refused while one holds it") {
  auto snapshot = create();
  CHECK(Snapshot::create(posix_file_system(), path, kPassword, options).code() == Errc::busy);
  CHECK(open().code() == Errc::busy);
  snapshot.reset();
  CHECK(Snapshot::create(posix_file_system(), path, kPassword, options).code() == Errc::already_exists);
  CHECK(open().ok());
  CHECK(Snapshot::open(posix_file_system(), dir.file("none"), kPassword, options).code() == Errc::not_found);
}

TEST_CASE_FIXTURE(SnapshotFixture, "a symbolic link planted at the lock file's name is refused, never followed") {
  create().reset();
  const std::string target = dir.file("elsewhere");
  std::filesystem::remove(path + ".lock");
  REQUIRE(::symlink(target.c_str(), (path + ".lock").c_str()) == 0);
  const auto opened = open();
  CHECK_FALSE(opened.ok());
  CHECK_MESSAGE(opened.status().message().find("symbolic link") != std::string::npos, opened.status().to_string());
  CHECK_FALSE(std::filesystem::exists(target));

  const std::string fresh = dir.file("fresh.stronghold");
  REQUIRE(::symlink(target.c_str(), (fresh + ".lock").c_str()) == 0);
  const auto created = Snapshot::create(posix_file_system(), fresh, kPassword, options);
  CHECK_FALSE(created.ok());
  CHECK_MESSAGE(created.status().message().find("symbolic link") != std::string::npos, created.status().to_string());
  CHECK_FALSE(std::filesystem::exists(target));
  CHECK_FALSE(std::filesystem::exists(fresh));
}

TEST_CASE_FIXTURE(SnapshotFixture,
                  "a symbolic link to a snapshot is the snapshot: one lock, and rewrites keep the link") {
  const std::string link = dir.file("link.stronghold"), folder_link = dir.file("folder");
  REQUIRE(::symlink(path.c_str(), link.c_str()) == 0);
  REQUIRE(::symlink(dir.path().c_str(), folder_link.c_str()) == 0);
  auto held = create();
  add_key(*held, "w/first");
  CHECK(Snapshot::open(posix_file_system(), link, kPassword, options).code() == Errc::busy);
  CHECK(Snapshot::open(posix_file_system(), folder_link + "/test.stronghold", kPassword, options).code() == Errc::busy);
  held.reset();
  const Bytes new_password = {'n', 'e', 'w'};
  {
    auto through = Snapshot::open(posix_file_system(), link, kPassword, options);
    REQUIRE(through.ok());
    CHECK(open().code() == Errc::busy);
    add_key(**through, "w/through");
    REQUIRE((*through)->compact().ok());
    REQUIRE((*through)->change_password(new_password).ok());
    add_key(**through, "w/after");
  }
  CHECK(std::filesystem::is_symlink(link));
  CHECK_FALSE(std::filesystem::exists(dir.file("link.stronghold.lock")));
  auto reopened = open(new_password);
  REQUIRE_MESSAGE(reopened.ok(), reopened.status().to_string());
  CHECK((*reopened)->keystore().list().size() == 3);
}

TEST_CASE_FIXTURE(SnapshotFixture, "a wrong password is told apart from a damaged header") {
  five_keys(*this);
  CHECK(open(Bytes{'n', 'o', 'p', 'e'}).code() == Errc::wrong_password);
  Bytes file = read_file();
  for (const std::size_t offset : {std::size_t{9}, std::size_t{30}, std::size_t{100}, std::size_t{150}}) {
    Bytes damaged = file;
    damaged[offset] ^= 0x01;
    write_file(damaged);
    const auto opened = open();
    CHECK_MESSAGE(opened.code() == Errc::corrupted, offset << ": " << opened.status().to_string());
  }
  Bytes not_a_snapshot = file;
  not_a_snapshot[0] = 'X';
  write_file(not_a_snapshot);
  CHECK(open().status().message().find("not a stronghold snapshot") != std::string::npos);
}

TEST_CASE_FIXTURE(SnapshotFixture, "a file of a future format version is unsupported, not corrupted") {
  five_keys(*this);
  const Bytes file = read_file();
  Header header = decode_header(file).value();
  header.version = kFormatVersion + 1;
  Bytes future = encode_header(header);
  future.insert(future.end(), file.begin() + kHeaderSize, file.end());
  write_file(future);
  CHECK(open().code() == Errc::unsupported);
}

TEST_CASE_FIXTURE(SnapshotFixture,
                  "a header that asks for more KDF work than the strong preset is refused before the KDF runs") {
  create().reset();
  const Bytes file = read_file();
  auto forge = [&](KdfParams cost) {
    Header header = decode_header(file).value();
    header.kdf = cost;
    Bytes forged = encode_header(header);
    forged.insert(forged.end(), file.begin() + kHeaderSize, file.end());
    write_file(forged);
  };
  const KdfParams many_passes{8, std::uint64_t{64} << 20}, much_memory{1, std::uint64_t{2} << 30};
  for (const KdfParams cost : {many_passes, much_memory}) {
    forge(cost);
    // Had the KDF run, the forged cost (bound into the wrapped key's seal) would read as a wrong password.
    const auto opened = open();
    CHECK(opened.code() == Errc::corrupted);
    CHECK_MESSAGE(opened.status().message().find(fmt::format("{} passes over {} MiB", cost.ops, cost.memory >> 20)) !=
                      std::string::npos,
                  opened.status().message());
  }
  // A caller that allows more runs the KDF.
  forge(many_passes);
  options.max_kdf = many_passes;
  CHECK(open().code() == Errc::wrong_password);
}

TEST_CASE_FIXTURE(SnapshotFixture, "damage in the body or inside the journal is a corrupted error naming the place") {
  five_keys(*this);
  const Bytes file = read_file();
  SUBCASE("body") {
    Bytes damaged = file;
    damaged[kHeaderSize + 8 + 30] ^= 0x80;
    write_file(damaged);
    const auto opened = open();
    CHECK(opened.code() == Errc::corrupted);
    CHECK(opened.status().message().find("body") != std::string::npos);
  }
  SUBCASE("a journal entry in the middle") {
    auto snapshot = open();
    REQUIRE(snapshot.ok());
    const std::uint64_t journal_start = (*snapshot)->file_bytes() - (*snapshot)->journal_bytes();
    snapshot->reset();
    Bytes damaged = file;
    damaged[journal_start + 8 + 50] ^= 0x01;  // inside the first entry's seal
    write_file(damaged);
    const auto opened = open();
    CHECK(opened.code() == Errc::corrupted);
    CHECK(opened.status().message().find("journal entry 1") != std::string::npos);
  }
}

TEST_CASE_FIXTURE(SnapshotFixture,
                  "a torn final write is dropped and reported, and only the next write cuts it off the file") {
  const auto keys = five_keys(*this);
  const Bytes file = read_file();
  std::uint64_t last_entry = 0;  // the size of the fifth commit's entry: a sixth like it adds as much
  {
    auto snapshot = open();
    REQUIRE(snapshot.ok());
    const std::uint64_t before = (*snapshot)->file_bytes();
    add_key(**snapshot, "w/k5");
    last_entry = (*snapshot)->file_bytes() - before;
  }
  write_file(file);
  Bytes torn = file;
  std::uint64_t expected_drop = 0;
  SUBCASE("an entry cut short") {
    torn.resize(file.size() - 20);
    expected_drop = last_entry - 20;
  }
  SUBCASE("an entry header cut short") {
    torn.insert(torn.end(), {0x2a, 0x00, 0x00});
    expected_drop = 3;
  }
  SUBCASE("zeros past the last entry (space the file system allocated but never wrote)") {
    torn.insert(torn.end(), 300, 0);
    expected_drop = 300;
  }
  SUBCASE("the final entry never written, only allocated") {
    std::fill(torn.end() - static_cast<std::ptrdiff_t>(last_entry), torn.end(), 0);
    expected_drop = last_entry;
  }
  write_file(torn);
  const std::size_t kept = expected_drop == 3 || expected_drop == 300 ? 5 : 4;
  options.compaction_threshold = 100;  // a read-only open does not compact either
  {
    auto opened = open();
    REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
    CHECK((*opened)->open_report().dropped_tail_bytes == expected_drop);
    const auto& keystore = (*opened)->keystore();
    CHECK(keystore.list().size() == kept);
    for (std::size_t i = 0; i < kept; ++i)
      CHECK(keystore.public_key(at(fmt::format("w/k{}", i))).value() == keys[i]);
  }
  CHECK(read_file() == torn);  // opened and closed: nothing written
  {
    auto opened = open();
    REQUIRE(opened.ok());
    add_key(**opened, "w/after");  // the first write cuts the torn bytes off first
  }
  auto again = open();
  REQUIRE_MESSAGE(again.ok(), again.status().to_string());
  CHECK((*again)->open_report().dropped_tail_bytes == 0);
  CHECK((*again)->keystore().list().size() == kept + 1);
  CHECK((*again)->keystore().exists(at("w/after")));
}

// An open reads the journal in windows of about 1 MiB, and checks a tail for zeros in windows of
// 64 KiB: entries and tails longer than either must read as they do in one piece.
TEST_CASE_FIXTURE(SnapshotFixture,
                  "a journal longer than the open's read window replays whole, its long entries and zero tail too") {
  options.compaction_threshold = std::uint64_t{1} << 40;  // every commit stays in the journal
  const auto value = [](int commit, int secret) {
    return Bytes(vault::kMaxSecretSize, static_cast<std::uint8_t>(commit * 41 + secret));
  };
  const auto secrets_of = [](int commit) { return commit % 2 == 0 ? 40 : 3; };  // 1.3 MiB entries, and short
  {
    auto snapshot = create();
    for (int commit = 0; commit < 6; ++commit) {
      vault::Transaction tx(snapshot->keystore());
      for (int secret = 0; secret < secrets_of(commit); ++secret)
        REQUIRE(tx.put_secret(fmt::format("s{}-{}", commit, secret), value(commit, secret)).ok());
      REQUIRE(snapshot->commit(std::move(tx)).ok());
    }
  }
  Bytes file = read_file();
  constexpr std::size_t kZeroTail = std::size_t{200} * 1024;
  file.insert(file.end(), kZeroTail, 0);
  write_file(file);
  auto reopened = open();
  REQUIRE_MESSAGE(reopened.ok(), reopened.status().to_string());
  CHECK((*reopened)->open_report().journal_entries == 6);
  CHECK((*reopened)->open_report().dropped_tail_bytes == kZeroTail);
  int same = 0;
  int expected = 0;
  for (int commit = 0; commit < 6; ++commit)
    for (int secret = 0; secret < secrets_of(commit); ++secret, ++expected) {
      const auto read = (*reopened)->keystore().read_secret(fmt::format("s{}-{}", commit, secret));
      const Bytes wanted = value(commit, secret);
      same += read.ok() && std::ranges::equal(read->read().bytes(), wanted);
    }
  CHECK(same == expected);
}

// Only zeros to the end are unwritten space: a byte past the zero check's first window of 64 KiB,
// or a length no entry can have, is damage, and dropping it would lose what follows.
TEST_CASE_FIXTURE(SnapshotFixture, "a tail that is not a crash's leftover is corrupted, named by what is wrong") {
  five_keys(*this);
  const Bytes file = read_file();
  Bytes tail;
  std::string named;
  SUBCASE("zeros, then one byte past the zero check's first window") {
    tail.assign(std::size_t{70} * 1024, 0);
    tail.push_back(0x01);
    named = "damaged length";
  }
  SUBCASE("a length whose check is wrong") {
    tail = {0x40, 0, 0, 0, 0x40, 0, 0, 0};
    named = "damaged length";
  }
  SUBCASE("a checked length longer than any entry") {
    tail = {0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x00, 0x80};
    named = "impossible length";
  }
  SUBCASE("a checked length shorter than any entry") {
    tail = {40, 0, 0, 0, static_cast<std::uint8_t>(~40u), 0xff, 0xff, 0xff};
    tail.resize(200, 0x11);
    named = "impossible length";
  }
  Bytes damaged = file;
  damaged.insert(damaged.end(), tail.begin(), tail.end());
  write_file(damaged);
  const auto opened = open();
  CHECK(opened.code() == Errc::corrupted);
  CHECK_MESSAGE(opened.status().message().find(named) != std::string::npos, opened.status().to_string());
  CHECK(read_file() == damaged);
}

TEST_CASE_FIXTURE(SnapshotFixture,
                  "a damaged final entry is corrupted, not a torn write, and the file is left as it was") {
  {
    auto snapshot = create();
    add_key(*snapshot, "w/kept");
    add_key(*snapshot, "w/deleted");
    vault::Transaction tx(snapshot->keystore());
    REQUIRE(tx.revoke(at("w/deleted")).ok());
    REQUIRE(snapshot->commit(std::move(tx)).ok());
  }
  Bytes file = read_file();
  file[file.size() - 20] ^= 0x01;  // inside the seal of the final entry, the delete
  write_file(file);
  const auto opened = open();
  CHECK(opened.code() == Errc::corrupted);
  CHECK_MESSAGE(opened.status().message().find("journal entry 3") != std::string::npos, opened.status().to_string());
  CHECK(read_file() == file);
}

TEST_CASE_FIXTURE(SnapshotFixture,
                  "every truncation and every flipped bit gives a clear error or a prefix of the commits") {
  const auto keys = five_keys(*this);
  const Bytes file = read_file();
  options.kdf = KdfPreset::fast;
  int opened_count = 0;
  auto check = [&](ByteView bytes, const std::string& what) {
    write_file(bytes);
    const auto opened = open();
    if (opened.ok()) {
      ++opened_count;
      // Whatever opened holds the first n keys for some n, and nothing else.
      const auto listed = (*opened)->keystore().list();
      for (std::size_t i = 0; i < listed.size(); ++i)
        CHECK_MESSAGE(listed[i].location.to_string() == fmt::format("w/k{}", i), what);
    } else {
      const Errc code = opened.code();
      CHECK_MESSAGE((code == Errc::corrupted || code == Errc::wrong_password || code == Errc::unsupported),
                    what << ": " << opened.status().to_string());
    }
  };
  for (std::size_t size = 0; size < file.size(); size += 7)
    check(ByteView(file).first(size), fmt::format("truncated to {}", size));
  for (std::size_t offset = 0; offset < file.size(); offset += 5) {
    Bytes flipped = file;
    flipped[offset] ^= static_cast<std::uint8_t>(1u << (offset % 8));
    check(flipped, fmt::format("bit flipped at {}", offset));
  }
  CHECK(opened_count > 0);
}

TEST_CASE_FIXTURE(SnapshotFixture, "group and no-sync durability keep every commit once synced or closed") {
  for (const Durability durability : {Durability::group, Durability::none}) {
    TempDir other;
    path = other.file("d.stronghold");
    options.durability = durability;
    {
      auto snapshot = create();
      for (int i = 0; i < 10; ++i)
        add_key(*snapshot, fmt::format("g/{}", i));
      REQUIRE(snapshot->sync().ok());
    }
    auto reopened = open();
    REQUIRE(reopened.ok());
    CHECK((*reopened)->keystore().list().size() == 10);
  }
}

TEST_CASE_FIXTURE(SnapshotFixture,
                  "changing the password re-keys the file: an old header spliced onto it opens nothing") {
  Bytes public_key;
  Bytes before_change;
  const Bytes new_password = {'n', 'e', 'w'};
  {
    auto snapshot = create();
    public_key = add_key(*snapshot, "w/key");
    add_key(*snapshot, "w/deleted");
    vault::Transaction tx(snapshot->keystore());
    REQUIRE(tx.revoke(at("w/deleted")).ok());
    REQUIRE(snapshot->commit(std::move(tx)).ok());
    before_change = read_file();
    REQUIRE(snapshot->change_password(new_password).ok());
    add_key(*snapshot, "w/later");
  }
  const Bytes after = read_file();
  Bytes spliced(before_change.begin(), before_change.begin() + kHeaderSize);
  spliced.insert(spliced.end(), after.begin() + kHeaderSize, after.end());
  write_file(spliced);
  const auto old_password = open();
  CHECK_MESSAGE(old_password.code() == Errc::corrupted, old_password.status().to_string());
  write_file(after);
  CHECK(open().code() == Errc::wrong_password);
  auto reopened = open(new_password);
  REQUIRE(reopened.ok());
  const vault::Keystore& keystore = (*reopened)->keystore();
  CHECK(keystore.public_key(at("w/key")).value() == public_key);
  CHECK(vault::verify_ed25519(public_key, kMessage, vault::sign_ed25519(keystore, at("w/key"), kMessage).value()));
  CHECK(keystore.exists(at("w/later")));
  CHECK(keystore.list().size() == 2);  // the deleted record is gone for good
}

TEST_CASE_FIXTURE(SnapshotFixture, "compaction folds the journal into the body, by hand and past the threshold") {
  options.compaction_threshold = 2000;
  auto snapshot = create();
  for (int i = 0; i < 40; ++i) {
    add_key(*snapshot, fmt::format("c/{}", i));
    CHECK(snapshot->journal_bytes() <= 2000 + 600);
  }
  REQUIRE(snapshot->compact().ok());
  CHECK(snapshot->journal_bytes() == 0);
  snapshot.reset();
  auto reopened = open();
  REQUIRE(reopened.ok());
  CHECK((*reopened)->keystore().list().size() == 40);
  CHECK((*reopened)->open_report().journal_entries == 0);
}

TEST_CASE("the change codec round-trips and refuses malformed input without large allocations") {
  Bytes key(32, 7);
  auto keystore = vault::Keystore::create(key).value();
  vault::Transaction tx(keystore);
  for (int i = 0; i < 10; ++i)
    REQUIRE(
        vault::generate_key(tx, SnapshotFixture::at(fmt::format("v{}/r{}", i % 3, i)), vault::KeyType::secp256k1).ok());
  const vault::ChangeSet set = std::move(tx).take();
  const Bytes encoded = encode_changes(set);
  const auto decoded = decode_changes(encoded);
  REQUIRE(decoded.ok());
  CHECK(encode_changes(*decoded) == encoded);
  for (std::size_t size = 0; size < encoded.size(); ++size)
    CHECK(decode_changes(ByteView(encoded).first(size)).code() == Errc::corrupted);
  // A count or a length that claims far more than the input holds.
  CHECK(decode_changes(Bytes{0xff, 0xff, 0xff, 0xff, 0x0f}).code() == Errc::corrupted);
  Bytes huge_path = {1, 1};  // one change: PutVault
  huge_path.insert(huge_path.end(), 16, 0);
  huge_path.insert(huge_path.end(), {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f});
  CHECK(decode_changes(huge_path).code() == Errc::corrupted);
}

TEST_CASE("a change list decoded in parts gives the same changes, in order, in parts no larger than asked") {
  auto keystore = vault::Keystore::create(Bytes(32, 7)).value();
  vault::Transaction tx(keystore);
  for (int i = 0; i < 10; ++i)  // records of one vault in a row: the vault id is written once for them
    REQUIRE(
        vault::generate_key(tx, SnapshotFixture::at(fmt::format("v{}/r{}", i / 4, i)), vault::KeyType::ed25519).ok());
  const Bytes encoded = encode_changes(std::move(tx).take());
  for (const std::size_t part_size : {1, 2, 3, 5, 100}) {
    CAPTURE(part_size);
    vault::ChangeSet joined;
    int parts = 0;
    REQUIRE(decode_changes_in_parts(encoded, part_size, [&](vault::ChangeSet&& part) {
              CHECK(part.changes.size() <= part_size);
              ++parts;
              for (auto& change : part.changes)
                joined.changes.push_back(std::move(change));
              return Status{};
            }).ok());
    CHECK(encode_changes(joined) == encoded);
    CHECK(parts == static_cast<int>((joined.changes.size() + part_size - 1) / part_size));
  }
  int taken = 0;
  const Status stopped = decode_changes_in_parts(encoded, 2, [&](vault::ChangeSet&&) {
    return ++taken == 2 ? Status(Errc::invalid_argument, "enough") : Status{};
  });
  CHECK(stopped.code() == Errc::invalid_argument);
  CHECK(taken == 2);
}

TEST_CASE("KDF presets parse from their names") {
  CHECK(parse_kdf_preset("fast").value() == KdfPreset::fast);
  CHECK(parse_kdf_preset("default").value() == KdfPreset::standard);
  CHECK(parse_kdf_preset("strong").value() == KdfPreset::strong);
  CHECK(parse_kdf_preset("weak").code() == Errc::invalid_argument);
  CHECK(kdf_params(KdfPreset::strong).memory > kdf_params(KdfPreset::standard).memory);
}

namespace {

// What the types rule out, rather than answer at run time: a split snapshot is gone, so nothing
// commits past the writer of its journal; the chain only stages and the writer only writes; the
// writer takes only what a chain made, each kind to its own call.
template <class T>
concept Commits = requires(T& owner, vault::ChangeSet changes) {
  owner.commit(std::move(changes));
};
template <class T>
concept Stages = requires(T& owner, vault::ChangeSet changes) {
  owner.stage(std::move(changes));
};
template <class T>
concept Appendable = requires(JournalWriter& journal, const T& entry) {
  journal.append(entry);
};
template <class T>
concept Replacement = requires(JournalWriter& journal, const T& image) {
  journal.replace(image);
};

static_assert(Commits<Snapshot> && !Commits<Chain> && !Commits<JournalWriter>);
static_assert(Stages<Chain> && !Stages<Snapshot> && !Stages<JournalWriter>);
static_assert(Appendable<StagedEntry> && !Appendable<Image> && !Appendable<Bytes>);
static_assert(Replacement<Image> && !Replacement<StagedEntry> && !Replacement<Bytes>);
static_assert(!std::is_constructible_v<StagedEntry, Bytes, ChainPosition, ChainPosition>);
static_assert(!std::is_constructible_v<Image, Bytes, ChainPosition>);
static_assert(std::is_invocable_v<decltype(&Snapshot::split), std::unique_ptr<Snapshot>&&>);
static_assert(!std::is_invocable_v<decltype(&Snapshot::split), std::unique_ptr<Snapshot>&>);

// Stages an Ed25519 key at `where`, which the state holds at once.
StagedEntry stage_key(Chain& chain, const std::string& where) {
  vault::Transaction tx(chain.keystore());
  REQUIRE(vault::generate_key(tx, SnapshotFixture::at(where), vault::KeyType::ed25519).ok());
  auto entry = chain.stage(std::move(tx).take());
  REQUIRE(entry.ok());
  CHECK(chain.keystore().exists(SnapshotFixture::at(where)));
  return std::move(entry).value();
}

}  // namespace

TEST_CASE_FIXTURE(SnapshotFixture, "a split snapshot's writer appends the chain's staged entries and its images") {
  {
    auto [chain, journal] = Snapshot::split(create());
    for (int i = 0; i < 3; ++i)
      REQUIRE(journal.append(stage_key(chain, fmt::format("h/{}", i))).ok());
    REQUIRE(journal.sync().ok());
    const auto image = chain.compact();
    REQUIRE(image.ok());
    CHECK(chain.journal_bytes() == 0);
    CHECK(chain.file_bytes() == image->bytes().size());
    REQUIRE(journal.replace(*image).ok());
    for (int i = 3; i < 6; ++i)
      REQUIRE(journal.append(stage_key(chain, fmt::format("h/{}", i))).ok());
    REQUIRE(journal.sync().ok());
    CHECK(journal.size() == chain.file_bytes());
  }
  auto reopened = open();
  REQUIRE(reopened.ok());
  CHECK((*reopened)->keystore().list().size() == 6);
  CHECK((*reopened)->open_report().journal_entries == 3);
}

TEST_CASE_FIXTURE(SnapshotFixture, "a journal writer refuses an entry that does not follow the end of its file") {
  {
    auto [chain, journal] = Snapshot::split(create());
    const StagedEntry first = stage_key(chain, "o/1");
    const StagedEntry second = stage_key(chain, "o/2");
    CHECK(journal.append(second).code() == Errc::internal);  // ahead of the file
    REQUIRE(journal.append(first).ok());
    CHECK(journal.append(first).code() == Errc::internal);  // twice
    REQUIRE(journal.append(second).ok());
    const StagedEntry third = stage_key(chain, "o/3");
    const auto image = chain.compact();  // holds the third entry, not yet appended
    REQUIRE(image.ok());
    const StagedEntry fourth = stage_key(chain, "o/4");
    CHECK(journal.append(fourth).code() == Errc::internal);   // it follows the image, not the file
    CHECK(journal.replace(*image).code() == Errc::internal);  // the file lacks an entry the image holds
    REQUIRE(journal.append(third).ok());
    REQUIRE(journal.replace(*image).ok());
    CHECK(journal.append(third).code() == Errc::internal);  // from before the image
    REQUIRE(journal.append(fourth).ok());
    REQUIRE(journal.sync().ok());
    CHECK_FALSE(journal.broken());
  }
  auto reopened = open();
  REQUIRE(reopened.ok());
  CHECK((*reopened)->keystore().list().size() == 4);
  CHECK((*reopened)->open_report().journal_entries == 1);
}

TEST_CASE_FIXTURE(SnapshotFixture,
                  "a password change prepared off the owner's thread re-keys the journal's next image") {
  auto snapshot = create();
  const Bytes kept = add_key(*snapshot, "w/key");
  const Bytes before_change = read_file();
  const Bytes new_password = {'n', 'e', 'w'};
  {
    auto [chain, journal] = Snapshot::split(std::move(snapshot));
    const Bytes header = chain.header();
    CHECK(Snapshot::prepare_password_change(header, Bytes{'n', 'o'}, new_password).code() == Errc::wrong_password);
    CHECK(Snapshot::prepare_password_change(ByteView(header).first(20), kPassword, new_password).code() ==
          Errc::corrupted);
    auto prepared = Snapshot::prepare_password_change(header, kPassword, new_password);
    REQUIRE(prepared.ok());
    auto second = Snapshot::prepare_password_change(header, kPassword, Bytes{'t', 'w', 'o'});
    REQUIRE(second.ok());

    const auto image = chain.rekey(*prepared);
    REQUIRE(image.ok());
    REQUIRE(journal.replace(*image).ok());
    // The second was prepared for the header before: refused, and nothing changes.
    CHECK(chain.rekey(*second).code() == Errc::busy);
    REQUIRE(journal.append(stage_key(chain, "w/after")).ok());
    REQUIRE(journal.sync().ok());
  }

  const Bytes after = read_file();
  Bytes spliced(before_change.begin(), before_change.begin() + kHeaderSize);
  spliced.insert(spliced.end(), after.begin() + kHeaderSize, after.end());
  write_file(spliced);
  CHECK_FALSE(open().ok());
  write_file(after);
  CHECK(open().code() == Errc::wrong_password);
  CHECK(open(Bytes{'t', 'w', 'o'}).code() == Errc::wrong_password);
  auto reopened = open(new_password);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->keystore().public_key(at("w/key")).value() == kept);
  CHECK((*reopened)->keystore().exists(at("w/after")));
}

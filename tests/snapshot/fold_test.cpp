// The compaction beside the commits (chain.hpp, FoldJob), driven step by step on one thread: the
// entries appended while the fold runs survive it, a file rewritten meanwhile is not folded, and
// the chain position a body names is authenticated. Version 1 files keep compacting in place, and
// version 2 files keep their one-seal body, until a password change moves them on.
#include <filesystem>

#include <doctest/doctest.h>

#include "fixture.hpp"

using namespace stronghold;
using namespace stronghold::snapshot;
using stronghold::test::kPassword;
using stronghold::test::SnapshotFixture;

namespace {

// Stages an Ed25519 key at `where` and appends its entry.
void append_key(Snapshot::Parts& parts, std::string_view where) {
  vault::Transaction tx(parts.chain.keystore());
  REQUIRE(vault::generate_key(tx, SnapshotFixture::at(where), vault::KeyType::ed25519).ok());
  auto entry = parts.chain.stage(std::move(tx).take());
  REQUIRE(entry.ok());
  REQUIRE(parts.journal.append(*entry).ok());
}

// A snapshot split as the engine splits it, with one key appended and a fold begun after it.
struct Folding {
  Snapshot::Parts parts;
  FoldJob job;
  FoldStart start;

  explicit Folding(std::unique_ptr<Snapshot> snapshot) : parts(Snapshot::split(std::move(snapshot))) {
    append_key(parts, "a/0");
    auto made = parts.chain.fold_job();
    REQUIRE(made.ok());
    job = std::move(*made);
    auto begun = parts.journal.begin_fold(job.position);
    REQUIRE(begun.ok());
    start = *begun;
  }
};

std::uint16_t file_version(const Bytes& file) { return static_cast<std::uint16_t>(file[8] | (file[9] << 8)); }

}  // namespace

TEST_CASE_FIXTURE(SnapshotFixture, "the entries appended while a fold runs are in the file it puts in place") {
  Snapshot::Parts parts = Snapshot::split(create());
  for (int i = 0; i < 20; ++i)
    append_key(parts, fmt::format("before/{}", i));
  auto job = parts.chain.fold_job();
  REQUIRE(job.ok());
  auto start = parts.journal.begin_fold(job->position);
  REQUIRE(start.ok());
  CHECK(parts.journal.begin_fold(job->position).code() == Errc::internal);  // one fold at a time
  for (int i = 0; i < 3; ++i)
    append_key(parts, fmt::format("during/{}", i));
  auto folded = fold_file(*job, start->covers);
  REQUIRE_MESSAGE(folded.ok(), folded.status().to_string());
  REQUIRE(parts.journal.finish_fold(*start, *folded).ok());
  CHECK_FALSE(std::filesystem::exists(JournalWriter::fold_path(path)));
  append_key(parts, "after/0");
  REQUIRE(parts.journal.sync().ok());
  const std::uint64_t size = parts.journal.size();
  { [[maybe_unused]] auto released = std::move(parts); }

  auto reopened = open();
  REQUIRE_MESSAGE(reopened.ok(), reopened.status().to_string());
  CHECK((*reopened)->open_report().journal_entries == 4);  // the 20 before are in the body
  CHECK((*reopened)->file_bytes() == size);
  for (const auto* where : {"before/0", "before/19", "during/0", "during/2", "after/0"})
    CHECK_MESSAGE((*reopened)->keystore().exists(at(where)), where);
}

TEST_CASE_FIXTURE(SnapshotFixture, "a fold of a file rewritten while it ran is dropped, and the file stays whole") {
  Folding folding(create());
  auto& parts = folding.parts;
  auto folded = fold_file(folding.job, folding.start.covers);
  REQUIRE(folded.ok());
  auto image = parts.chain.compact();  // an explicit compaction, in place
  REQUIRE(image.ok());
  REQUIRE(parts.journal.replace(*image).ok());
  append_key(parts, "a/1");
  CHECK(parts.journal.finish_fold(folding.start, *folded).code() == Errc::busy);
  CHECK_FALSE(std::filesystem::exists(JournalWriter::fold_path(path)));
  REQUIRE(parts.journal.sync().ok());
  { [[maybe_unused]] auto released = std::move(parts); }

  auto reopened = open();
  REQUIRE_MESSAGE(reopened.ok(), reopened.status().to_string());
  CHECK((*reopened)->keystore().exists(at("a/0")));
  CHECK((*reopened)->keystore().exists(at("a/1")));
}

TEST_CASE_FIXTURE(SnapshotFixture, "a fold far behind the commits catches up from the file, and nothing is lost") {
  options.max_fold_tail = 1;  // the first entry appended while it runs is more than its end copies
  Folding folding(create());
  auto& parts = folding.parts;
  for (int i = 0; i < 3; ++i)
    append_key(parts, fmt::format("during/{}", i));
  auto progress = fold_file(folding.job, folding.start.covers);
  REQUIRE(progress.ok());
  CHECK(progress->reaches == folding.start.covers);
  REQUIRE(parts.journal.fold_lags(*progress));
  progress = copy_fold_tail(posix_file_system(), path, *progress, parts.journal.size());
  REQUIRE_MESSAGE(progress.ok(), progress.status().to_string());
  CHECK(progress->reaches == parts.journal.size());
  CHECK_FALSE(parts.journal.fold_lags(*progress));
  append_key(parts, "late/0");  // appended after the catch-up: the fold's end copies it
  REQUIRE(parts.journal.finish_fold(folding.start, *progress).ok());
  CHECK_FALSE(std::filesystem::exists(JournalWriter::fold_path(path)));
  const std::uint64_t size = parts.journal.size();
  { [[maybe_unused]] auto released = std::move(parts); }

  auto reopened = open();
  REQUIRE_MESSAGE(reopened.ok(), reopened.status().to_string());
  CHECK((*reopened)->open_report().journal_entries == 4);  // 3 copied by the catch-up, 1 by the end
  CHECK((*reopened)->file_bytes() == size);
  for (const auto* where : {"a/0", "during/0", "during/2", "late/0"})
    CHECK_MESSAGE((*reopened)->keystore().exists(at(where)), where);
}

TEST_CASE_FIXTURE(SnapshotFixture, "a catch-up left from a dropped fold writes nothing into the next fold's file") {
  Folding folding(create());
  auto& parts = folding.parts;
  append_key(parts, "a/1");
  auto stray = fold_file(folding.job, folding.start.covers);
  REQUIRE(stray.ok());
  parts.journal.drop_fold(folding.start);  // as when its writer failed and a new one took over

  auto next = parts.chain.fold_job();
  REQUIRE(next.ok());
  auto start = parts.journal.begin_fold(next->position);
  REQUIRE(start.ok());
  auto progress = fold_file(*next, start->covers);
  REQUIRE(progress.ok());
  append_key(parts, "a/2");
  // The dropped fold's worker goes on: it must not append its entries to this fold's file.
  REQUIRE(copy_fold_tail(posix_file_system(), path, *stray, parts.journal.size()).ok());
  REQUIRE(parts.journal.finish_fold(*start, *progress).ok());
  append_key(parts, "a/3");
  REQUIRE(parts.journal.sync().ok());
  const std::uint64_t size = parts.journal.size();
  { [[maybe_unused]] auto released = std::move(parts); }

  auto reopened = open();
  REQUIRE_MESSAGE(reopened.ok(), reopened.status().to_string());
  CHECK((*reopened)->file_bytes() == size);
  CHECK((*reopened)->open_report().journal_entries == 2);
  for (const auto* where : {"a/0", "a/1", "a/2", "a/3"})
    CHECK_MESSAGE((*reopened)->keystore().exists(at(where)), where);
}

TEST_CASE_FIXTURE(SnapshotFixture, "a catch-up copy refuses a file shorter than the fold already reaches") {
  Folding folding(create());
  auto progress = fold_file(folding.job, folding.start.covers);
  REQUIRE(progress.ok());
  CHECK(copy_fold_tail(posix_file_system(), path, *progress, progress->reaches - 1).code() == Errc::busy);
  CHECK(copy_fold_tail(posix_file_system(), path, *progress, folding.parts.journal.size() + 1).code() == Errc::busy);
  REQUIRE(folding.parts.journal.finish_fold(folding.start, *progress).ok());  // the file is as it was
}

TEST_CASE_FIXTURE(SnapshotFixture,
                  "a fold refuses a file that no longer ends where its job said, or another fold's file") {
  Folding folding(create());
  const FoldJob& job = folding.job;
  const std::uint64_t covers = folding.start.covers;
  CHECK(fold_file(job, covers - 1).code() == Errc::busy);  // cut inside the last entry
  CHECK(fold_file(job, covers + 1).code() == Errc::busy);  // past the end
  test::write_bytes(JournalWriter::fold_path(path), Bytes{1});
  CHECK(fold_file(job, covers).code() == Errc::already_exists);
  folding.parts.journal.drop_fold(folding.start);
  REQUIRE(folding.parts.journal.begin_fold(job.position).ok());  // removes what the dropped fold left
  CHECK(fold_file(job, covers).ok());
}

TEST_CASE_FIXTURE(SnapshotFixture,
                  "the files a crashed fold or compaction left, under the old password, go at open and at passwd") {
  auto snapshot = create();
  add_key(*snapshot, "a/0");
  snapshot.reset();
  const std::string folded = JournalWriter::fold_path(path);
  const std::string compacted = path + ".compact";
  for (const std::string& leftover : {folded, compacted})
    test::write_bytes(leftover, read_file());  // the state, under the password of the moment
  auto opened = open();
  REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
  CHECK_FALSE(std::filesystem::exists(folded));
  CHECK_FALSE(std::filesystem::exists(compacted));

  test::write_bytes(folded, read_file());  // as a fold that crashed in this process would leave it
  REQUIRE((*opened)->change_password(Bytes{'n', 'e', 'w'}).ok());
  CHECK_FALSE(std::filesystem::exists(folded));
}

TEST_CASE_FIXTURE(SnapshotFixture, "an entry of the history a rewrite in place replaced does not follow it") {
  auto snapshot = create();
  add_key(*snapshot, "a/0");
  REQUIRE(snapshot->compact().ok());
  snapshot.reset();
  const Bytes rewritten = read_file();
  auto opened = open();
  REQUIRE(opened.ok());
  add_key(**opened, "a/1");
  opened->reset();
  const Bytes with_entry = read_file();
  const Bytes entry(with_entry.begin() + static_cast<std::ptrdiff_t>(rewritten.size()), with_entry.end());

  write_file(rewritten);  // the entry cut off, as a crash before its sync does
  opened = open();
  REQUIRE(opened.ok());
  REQUIRE((*opened)->compact().ok());  // what a restart does: the same state, rewritten
  opened->reset();
  Bytes spliced = read_file();
  spliced.insert(spliced.end(), entry.begin(), entry.end());
  write_file(spliced);
  opened = open();
  CHECK(opened.code() == Errc::corrupted);
}

TEST_CASE_FIXTURE(SnapshotFixture, "a body's chain position is authenticated") {
  auto snapshot = create();
  add_key(*snapshot, "a/0");
  REQUIRE(snapshot->compact().ok());
  add_key(*snapshot, "a/1");
  snapshot.reset();
  Bytes file = read_file();
  REQUIRE(file_version(file) == kFormatVersion);
  file[kHeaderSize] ^= 1;  // the sequence number the journal goes on from
  write_file(file);
  auto opened = open();
  CHECK(opened.code() == Errc::corrupted);
  CHECK(opened.status().message().find("body") != std::string::npos);
}

namespace {

const Bytes kFixturePassword = {'f', 'o', 'r', 'm', 'a', 't', '-', 'v', '1'};

// The format fixture of `version` copied over the test's snapshot, and opened.
std::unique_ptr<Snapshot> open_fixture(SnapshotFixture& test, int version) {
  const std::string fixture = fmt::format("{}/fixtures/snapshot-v{}.stronghold", STRONGHOLD_TEST_DATA_DIR, version);
  std::filesystem::copy_file(fixture, test.path, std::filesystem::copy_options::overwrite_existing);
  auto opened = test.open(kFixturePassword);
  REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
  return std::move(*opened);
}

// Opens the test's snapshot, still in its old version and holding `added`, and changes its
// password: the file is then of the current version, with everything it held.
void check_password_change_moves_it_on(SnapshotFixture& test, std::string_view added) {
  auto opened = test.open(kFixturePassword);
  REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
  CHECK((*opened)->keystore().exists(SnapshotFixture::at(added)));
  REQUIRE((*opened)->change_password(kPassword).ok());
  opened->reset();
  CHECK(file_version(test.read_file()) == kFormatVersion);
  opened = test.open();
  REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
  CHECK((*opened)->keystore().exists(SnapshotFixture::at("wallet/ed25519")));
  CHECK((*opened)->keystore().exists(SnapshotFixture::at(added)));
}

}  // namespace

TEST_CASE_FIXTURE(SnapshotFixture,
                  "a version 1 file stays version 1 until a password change moves it to the current version") {
  std::unique_ptr<Snapshot> opened = open_fixture(*this, 1);
  add_key(*opened, "new/0");
  REQUIRE(opened->compact().ok());
  add_key(*opened, "new/1");
  CHECK(file_version(read_file()) == 1);
  Snapshot::Parts parts = Snapshot::split(std::move(opened));
  CHECK(parts.chain.fold_job().code() == Errc::unsupported);
  { [[maybe_unused]] auto released = std::move(parts); }
  check_password_change_moves_it_on(*this, "new/1");
}

TEST_CASE_FIXTURE(SnapshotFixture, "a version 2 file keeps its one-seal body, folded, until a password change") {
  Folding folding(open_fixture(*this, 2));
  auto folded = fold_file(folding.job, folding.start.covers);
  REQUIRE_MESSAGE(folded.ok(), folded.status().to_string());
  REQUIRE(folding.parts.journal.finish_fold(folding.start, *folded).ok());
  { [[maybe_unused]] auto released = std::move(folding.parts); }
  CHECK(file_version(read_file()) == 2);
  check_password_change_moves_it_on(*this, "a/0");
}

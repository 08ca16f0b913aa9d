#include "stronghold/snapshot/journal_writer.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace stronghold::snapshot {

JournalWriter::JournalWriter(FileSystem& fs, std::string path, std::unique_ptr<AppendFile> file, std::uint64_t size,
                             const ChainPosition& end, std::uint64_t torn_tail, std::uint64_t max_fold_tail)
    : fs_(&fs),
      path_(std::move(path)),
      file_(std::move(file)),
      size_(size),
      end_(end),
      torn_tail_(torn_tail),
      max_fold_tail_(max_fold_tail) {}

Status JournalWriter::refuse_if_broken() const {
  if (broken_ || !file_)
    return Status(Errc::io_error, "an earlier write to the snapshot failed; close and reopen it");
  return {};
}

// Written anyway, such an entry would fail to authenticate and take every later one with it.
Status JournalWriter::refuse_out_of_chain(const StagedEntry& entry) const {
  if (entry.follows() != end_)
    return error(Errc::internal, "journal entry {} does not follow the end of the file (entry {} is next)",
                 entry.follows().next_sequence, end_.next_sequence);
  return {};
}

Status JournalWriter::cut_torn_tail() {
  if (torn_tail_ == 0)
    return {};
  SH_RETURN_IF_ERROR(fs_->truncate(path_, size_));
  torn_tail_ = 0;
  return {};
}

Status JournalWriter::can_append(const StagedEntry& entry) const {
  SH_RETURN_IF_ERROR(refuse_if_broken());
  return refuse_out_of_chain(entry);
}

Status JournalWriter::append(const StagedEntry& entry) {
  SH_RETURN_IF_ERROR(can_append(entry));
  SH_RETURN_IF_ERROR(cut_torn_tail());  // entries must follow whole entries
  if (Status written = file_->append(entry.bytes()); !written.ok()) {
    // Cut a partial entry back off, so the next one follows whole entries.
    file_.reset();
    auto reopened = fs_->truncate(path_, size_).ok() ? fs_->open_append(path_, false)
                                                     : Result<std::unique_ptr<AppendFile>>(written);
    if (reopened.ok())
      file_ = std::move(*reopened);
    else
      broken_ = true;
    return written;
  }
  size_ += entry.bytes().size();
  end_ = entry.leaves();
  return {};
}

Status JournalWriter::sync() {
  SH_RETURN_IF_ERROR(refuse_if_broken());
  if (Status synced = file_->sync(); !synced.ok()) {
    broken_ = true;
    return synced;
  }
  return {};
}

namespace {

// The steps before the rename: a failure there leaves `path` as it was.
Status write_temporary(FileSystem& fs, const std::string& temporary, ByteView image) {
  SH_RETURN_IF_ERROR(fs.remove(temporary));
  auto out = fs.open_append(temporary, true);
  Status written = out.ok() ? (*out)->append(image) : out.status();
  if (written.ok())
    written = (*out)->sync();
  if (!written.ok())
    (void)fs.remove(temporary);
  return written;
}

}  // namespace

Status write_file_atomically(FileSystem& fs, const std::string& path, ByteView image) {
  const std::string temporary = path + ".compact";
  SH_RETURN_IF_ERROR(write_temporary(fs, temporary, image));
  SH_RETURN_IF_ERROR(fs.rename(temporary, path));
  return fs.sync_directory(path);
}

Status JournalWriter::replace(const Image& image) {
  SH_RETURN_IF_ERROR(refuse_if_broken());
  if (image.follows() != end_)
    return error(Errc::internal, "the new snapshot file holds the journal up to entry {}, the file up to entry {}",
                 image.follows().next_sequence, end_.next_sequence);
  // A fold file a crash left may hold the state under a password this rewrite retires. A fold
  // that still runs writes its file again; finish_fold then drops it, and an open removes it.
  SH_RETURN_IF_ERROR(fs_->remove(fold_path(path_)));
  const std::string temporary = path_ + ".compact";
  SH_RETURN_IF_ERROR(write_temporary(*fs_, temporary, image.bytes()));
  ++generation_;  // a running fold folds the file this one replaces
  return move_into_place(temporary, image.bytes().size(), image.leaves());
}

Status JournalWriter::move_into_place(const std::string& from, std::uint64_t size, const ChainPosition& end) {
  SH_RETURN_IF_ERROR(fs_->rename(from, path_));
  // From here the file at the path is the new one: the old handle must not be used.
  retired_ = std::move(file_);
  Status synced = fs_->sync_directory(path_);
  auto reopened = fs_->open_append(path_, false);
  if (!synced.ok() || !reopened.ok()) {
    broken_ = true;
    return synced.ok() ? reopened.status() : synced;
  }
  file_ = std::move(*reopened);
  size_ = size;
  end_ = end;
  torn_tail_ = 0;  // a new file
  return {};
}

std::string JournalWriter::fold_path(const std::string& path) { return path + ".fold"; }

Result<FoldStart> JournalWriter::begin_fold(const ChainPosition& position) {
  SH_RETURN_IF_ERROR(refuse_if_broken());
  if (folding_)
    return Status(Errc::internal, "a fold of the snapshot is already running");
  if (position != end_)
    return error(Errc::internal, "the fold starts at journal entry {}, the file ends before entry {}",
                 position.next_sequence, end_.next_sequence);
  // What a crash or a failed fold left. A fold of an earlier writer of this file that still runs
  // (after a restart) goes on into the removed file through its handle, or finds this fold's file
  // there when it creates its own, and fails.
  SH_RETURN_IF_ERROR(fs_->remove(fold_path(path_)));
  folding_ = true;
  return FoldStart{size_, generation_, ++folds_};
}

void JournalWriter::drop_fold(const FoldStart& start) noexcept {
  if (start.fold != folds_)
    return;  // a fold that is over already
  folding_ = false;
  (void)fs_->remove(fold_path(path_));  // a near full-size file, after a failure that may be ENOSPC
}

bool JournalWriter::fold_lags(const FoldProgress& progress) const noexcept {
  return progress.reaches <= size_ && size_ - progress.reaches > max_fold_tail_;
}

// A fold once kept the entries appended while it ran in memory, and was dropped past 64 MiB of
// them: at 10,000,000 keys a fold outlasted that, so none finished and the journal grew to 1.4 GB.
// Read back from the file, the entries cost no memory, and the appends wait for the last few only.
Result<FoldProgress> copy_fold_tail(FileSystem& fs, const std::string& path, const FoldProgress& progress,
                                    std::uint64_t to) {
  if (!progress.file)
    return Status(Errc::invalid_argument, "a fold without its file");
  if (to < progress.reaches)
    return Status(Errc::busy, "the snapshot is shorter than its fold; the fold is dropped");
  if (to > progress.reaches) {
    SH_ASSIGN_OR_RETURN(auto in, fs.open_read(path, std::numeric_limits<std::uint64_t>::max()));
    if (in->size() < to)
      return Status(Errc::busy, "the snapshot is shorter than its fold; the fold is dropped");
    Bytes window;  // sealed entries: no plaintext
    for (std::uint64_t at = progress.reaches; at < to; at += window.size()) {
      window.resize(static_cast<std::size_t>(std::min<std::uint64_t>(to - at, kFoldSyncBytes)));
      SH_RETURN_IF_ERROR(in->read_at(at, window));
      SH_RETURN_IF_ERROR(progress.file->append(window));
      SH_RETURN_IF_ERROR(progress.file->sync());
    }
  }
  return FoldProgress{progress.file, progress.written + (to - progress.reaches), to};
}

Status JournalWriter::finish_fold(const FoldStart& start, const FoldProgress& progress) {
  const std::string folded = fold_path(path_);
  if (!folding_ || start.fold != folds_)
    return Status(Errc::busy, "the fold was dropped");  // drop_fold removed its file
  folding_ = false;
  SH_RETURN_IF_ERROR(refuse_if_broken());
  if (start.generation != generation_ || start.covers > size_ || progress.reaches < start.covers) {
    (void)fs_->remove(folded);
    return Status(Errc::busy, "the snapshot was rewritten while it was folded; the fold is dropped");
  }
  auto caught_up = copy_fold_tail(*fs_, path_, progress, size_);
  if (!caught_up.ok()) {
    (void)fs_->remove(folded);
    return caught_up.status();
  }
  ++generation_;
  return move_into_place(folded, caught_up->written, end_);
}

}  // namespace stronghold::snapshot

#include "stronghold/snapshot/journal_writer.hpp"

#include <utility>

namespace stronghold::snapshot {

JournalWriter::JournalWriter(FileSystem& fs, std::string path, std::unique_ptr<AppendFile> file, std::uint64_t size,
                             const ChainPosition& end, std::uint64_t torn_tail)
    : fs_(&fs), path_(std::move(path)), file_(std::move(file)), size_(size), end_(end), torn_tail_(torn_tail) {}

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

Status JournalWriter::append(const StagedEntry& entry) {
  SH_RETURN_IF_ERROR(refuse_if_broken());
  SH_RETURN_IF_ERROR(refuse_out_of_chain(entry));
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
  const std::string temporary = path_ + ".compact";
  SH_RETURN_IF_ERROR(write_temporary(*fs_, temporary, image.bytes()));
  SH_RETURN_IF_ERROR(fs_->rename(temporary, path_));
  // From here the file at the path is the new one: the old handle must not be used.
  file_.reset();
  Status synced = fs_->sync_directory(path_);
  auto reopened = fs_->open_append(path_, false);
  if (!synced.ok() || !reopened.ok()) {
    broken_ = true;
    return synced.ok() ? reopened.status() : synced;
  }
  file_ = std::move(*reopened);
  size_ = image.bytes().size();
  end_ = image.leaves();
  torn_tail_ = 0;  // a new file
  return {};
}

}  // namespace stronghold::snapshot

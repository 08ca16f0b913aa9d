// Copying a node's snapshot file to another node of its cluster (wire::Op::image), so that a node
// whose file stands before the first entry etcd's journal still holds (it was away while more than
// --keep-entries entries were written, or it starts from an old copy) starts again by itself
// instead of waiting for an operator to copy a live node's file.
//
// Who gets a copy: a session of the snapshot's owner, which over the network is a peer whose
// certificate the cluster's CA signed (remote/tunnel.hpp) and which may already do everything the
// owner may; a client identity is refused, and so is everyone when the node is in no cluster. The
// file is sealed under the snapshot key: the copy shows nothing without the password.
//
// The serving node reads its file as it stands: commits append to it meanwhile and a fold
// replaces it by rename. Each piece names the file it came from (device and inode) and that
// file's size then; the fetching node copies up to the size the first piece gave, from one file,
// and starts again when the file changed under it. The entry an append was writing when the copy
// began may be torn, which the open drops (as for a copy an operator takes).
//
// The fetching node takes a copy only when its header is byte for byte its own file's (the same
// wrapped snapshot key, the same file id): a node of another cluster, or a peer that answers
// garbage, leaves its file as it was. Its file then gets a second name beside it
// (PATH.behind-UNIXTIME, a hard link: the file never is without a name) and the copy is renamed
// over it; the engine's open checks every entry, and the chain against etcd, and when that fails
// the file is put back and the next node asked.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "remote/tls_files.hpp"
#include "stronghold/actors/shared_journal.hpp"
#include "stronghold/snapshot/file_system.hpp"

namespace stronghold::daemon {

// The most bytes one answer of Op::image carries, well inside a frame.
inline constexpr std::size_t kImagePiece = std::size_t{512} << 10;

// Op::image's answer for `path` (this node's file, symbolic links resolved: one found there is not
// followed) from `offset`: [file identity (device, inode: u64 big-endian each)] [the file's size
// now (u64)] [its bytes from offset, at most kImagePiece]. invalid_argument for an offset past the
// end; io_error when the file cannot be read.
Result<std::vector<Bytes>> read_image_piece(const std::string& path, std::uint64_t offset);

struct ImageFetchOptions {
  std::string snapshot;            // this node's file, as the command line names it
  remote::TlsFiles tls;            // this node's certificate and the cluster's CA
  actors::SharedJournal* journal;  // the cluster's: its live nodes and where they listen
  snapshot::FileSystem* fs;        // where the file is
  std::uint64_t max_size;          // the largest file the engine opens: a peer's larger one is not copied
};

struct FetchedImage {
  std::string node;  // whose copy this node's file now is
  std::string kept;  // where this node's file as it was is kept
};

// Opens the node's file once a copy is in its place (the engine's open, which takes the file's lock).
using OpenCopy = std::function<Status()>;

// For each node etcd lists with an address (this one left out), in turn, until `open_copy` takes
// a copy: copies the node's file and puts it in place of this node's file (see above), the file's
// lock held meanwhile; a copy that does not open is taken out again. unavailable, naming what
// each node answered, when no copy opened (the file is then as it was, and kept nowhere else).
Result<FetchedImage> fetch_image(const ImageFetchOptions& options, const OpenCopy& open_copy);

}  // namespace stronghold::daemon

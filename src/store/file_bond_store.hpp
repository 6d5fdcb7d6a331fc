// A bond store kept in one file (Linux/POSIX), written so that a crash or power
// cut at any moment leaves either the previous or the new content, never a mix:
// every change writes PATH.tmp (mode 0600, O_CLOEXEC), fsyncs it, renames it
// over PATH and fsyncs the directory. PATH.lock (flock) keeps a second process
// from using the same store.
//
// A missing file is an empty store. A file that is corrupt, foreign or of
// another format version is never overwritten: open() moves it aside to
// PATH.corrupt-<unix time>, starts empty and says so in recovery().
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/bond_store.hpp"

namespace sable::store {

class FileBondStore final : public MemoryBondStore {
 public:
  // What open() found wrong with the existing file, and where it moved it.
  struct Recovery {
    StoreError error;               // kCorrupt, kForeign or kUnsupportedVersion, with offset
    std::string path;               // the store's path
    std::string moved_to;           // PATH.corrupt-<unix time>[-N]
    std::string to_string() const;  // "PATH: corrupt: ... (offset 57); moved to PATH.corrupt-..."
  };

  // kInvalidArgument: empty path or capacity outside 1..kMaxBonds. kIo: the
  // directory is missing, the file is unreadable or not a regular file, or a
  // bad file cannot be moved aside. kBusy: another process has it open.
  static Result<std::unique_ptr<FileBondStore>, StoreError> open(const std::string& path,
                                                                 StoreOptions options);
  static Result<std::unique_ptr<FileBondStore>, StoreError> open(const std::string& path,
                                                                 size_t capacity = kDefaultCapacity,
                                                                 EvictionCallback on_evicted = {});
  ~FileBondStore() override;

  FileBondStore(const FileBondStore&) = delete;
  FileBondStore& operator=(const FileBondStore&) = delete;

  // Set when open() found a bad file and moved it aside (print it).
  const std::optional<Recovery>& recovery() const { return recovery_; }
  const std::string& path() const { return path_; }

 protected:
  // Encodes into a buffer reserved at open (no allocation), then replaces the file.
  Result<void, StoreError> commit(const BondFileView& next) override;

 private:
  FileBondStore(StoreOptions options, std::string path, std::string name, int dir_fd, int lock_fd);
  Result<void, StoreError> load_existing();
  Result<std::string, StoreError> move_aside();

  std::string path_;             // as given
  std::string name_;             // the file name within the directory
  std::string tmp_name_;         // name_ + ".tmp"
  std::vector<uint8_t> buffer_;  // the encoded store, reserved for the capacity
  int dir_fd_ = -1;
  int lock_fd_ = -1;
  std::optional<Recovery> recovery_;
};

}  // namespace sable::store

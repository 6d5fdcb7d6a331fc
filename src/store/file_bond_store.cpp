#include "store/file_bond_store.hpp"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "common/log.hpp"

namespace sable::store {

namespace {

const char* errno_text(int err) {
  const char* text = strerrordesc_np(err);  // static text, nullptr if unknown
  return text ? text : "unknown error";
}

StoreError sys_error(int err, const char* what) {
  StoreError e;
  e.kind = (err == ENOSPC || err == EDQUOT) ? StoreErrorKind::kFull : StoreErrorKind::kIo;
  e.reason = what;
  e.sys_errno = err;
  e.detail = errno_text(err);
  return e;
}

StoreError failure(StoreErrorKind kind, const char* reason) {
  StoreError e;
  e.kind = kind;
  e.reason = reason;
  return e;
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

bool write_all(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= size_t(n);
  }
  return true;
}

}  // namespace

std::string FileBondStore::Recovery::to_string() const {
  return path + ": " + error.to_string() + "; the file was moved to " + moved_to +
         " and the store starts empty";
}

FileBondStore::FileBondStore(StoreOptions options, std::string path, std::string name, int dir_fd,
                             int lock_fd)
    : MemoryBondStore(std::move(options)),
      path_(std::move(path)),
      name_(std::move(name)),
      tmp_name_(name_ + ".tmp"),
      dir_fd_(dir_fd),
      lock_fd_(lock_fd) {
  buffer_.reserve(max_encoded_size(capacity()));
}

FileBondStore::~FileBondStore() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

Result<std::unique_ptr<FileBondStore>, StoreError> FileBondStore::open(
    const std::string& path, size_t capacity, EvictionCallback on_evicted) {
  StoreOptions options;
  options.capacity = capacity;
  options.on_evicted = std::move(on_evicted);
  return open(path, std::move(options));
}

Result<std::unique_ptr<FileBondStore>, StoreError> FileBondStore::open(const std::string& path,
                                                                       StoreOptions options) {
  if (options.capacity < 1 || options.capacity > kMaxBonds) {
    return fail(failure(StoreErrorKind::kInvalidArgument, "capacity outside 1..kMaxBonds"));
  }
  const size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") {
    return fail(failure(StoreErrorKind::kInvalidArgument, "the path does not name a file"));
  }

  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) return fail(sys_error(errno, "cannot open the directory"));

  const std::string lock_name = name + ".lock";
  Fd lock_fd(
      ::openat(dir_fd.get(), lock_name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (lock_fd.get() < 0) return fail(sys_error(errno, "cannot create the lock file"));
  while (::flock(lock_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) {
      return fail(
          failure(StoreErrorKind::kBusy, "in use by another process (its .lock is locked)"));
    }
    return fail(sys_error(errno, "cannot lock the lock file"));
  }

  std::unique_ptr<FileBondStore> store(new FileBondStore(std::move(options), path, std::move(name),
                                                         dir_fd.release(), lock_fd.release()));

  // A leftover from a write that never reached its rename: never the truth.
  if (::unlinkat(store->dir_fd_, store->tmp_name_.c_str(), 0) == 0) {
    SABLE_LOG_DEBUG("bond store: removed the unfinished %s.tmp", path.c_str());
  }

  if (auto r = store->load_existing(); !r) return fail(r.error());
  return store;
}

Result<void, StoreError> FileBondStore::load_existing() {
  Fd fd(::openat(dir_fd_, name_.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return {};  // no bonds yet
    return fail(sys_error(errno, "cannot open the store"));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(sys_error(errno, "cannot stat the store"));
  if (!S_ISREG(st.st_mode)) return fail(failure(StoreErrorKind::kIo, "not a regular file"));
  if ((st.st_mode & 077) != 0) {
    SABLE_LOG_WARN("bond store: %s was readable by others (mode %04o); making it 0600",
                   path_.c_str(), unsigned(st.st_mode & 07777));
    if (::fchmod(fd.get(), 0600) != 0) {
      return fail(sys_error(errno, "cannot restrict the permissions of the store"));
    }
  }

  Result<size_t, StoreError> loaded = size_t(0);
  if (size_t(st.st_size) > kMaxEncodedSize) {
    StoreError e = failure(StoreErrorKind::kCorrupt, "larger than any bond store");
    e.offset = 0;
    loaded = fail(e);
  } else {
    std::vector<uint8_t> data(size_t(st.st_size));  // start-up only
    size_t got = 0;
    while (got < data.size()) {
      ssize_t n = ::read(fd.get(), data.data() + got, data.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(sys_error(errno, "cannot read the store"));
      if (n == 0) break;  // shrank while we read: decode reports it
      got += size_t(n);
    }
    data.resize(got);
    loaded = load(data);
  }

  if (!loaded) {
    auto moved = move_aside();
    if (!moved) return fail(moved.error());
    recovery_ = Recovery{loaded.error(), path_, std::move(*moved)};
    SABLE_LOG_ERROR("bond store: %s", recovery_->to_string().c_str());
    return {};
  }
  // Bonds beyond the capacity were left out: the file says so too.
  if (loaded.value() > 0) return commit(state());
  return {};
}

Result<std::string, StoreError> FileBondStore::move_aside() {
  const std::string base = name_ + ".corrupt-" + std::to_string(long(std::time(nullptr)));
  for (int n = 0; n < 1000; ++n) {
    const std::string target = n == 0 ? base : base + "-" + std::to_string(n);
    int rc = ::renameat2(dir_fd_, name_.c_str(), dir_fd_, target.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
      // The file system cannot refuse to replace: check first (we hold the lock).
      struct stat st {};
      if (::fstatat(dir_fd_, target.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) continue;
      rc = ::renameat(dir_fd_, name_.c_str(), dir_fd_, target.c_str());
    }
    if (rc == 0) {
      if (::fsync(dir_fd_) != 0) {
        SABLE_LOG_WARN("bond store: fsync of the directory of %s failed: %s", path_.c_str(),
                       errno_text(errno));
      }
      return path_.substr(0, path_.size() - name_.size()) + target;
    }
    if (errno != EEXIST) return fail(sys_error(errno, "cannot move the unreadable store aside"));
  }
  return fail(sys_error(EEXIST, "no free name to move the unreadable store aside"));
}

Result<void, StoreError> FileBondStore::commit(const BondFileView& next) {
  const size_t size = encoded_size(next);
  if (buffer_.size() < size) buffer_.resize(size);  // within what open() reserved
  auto written = encode(next, MutableBytes(buffer_.data(), buffer_.size()));
  if (!written) return fail(written.error());

  const char* tmp = tmp_name_.c_str();
  ::unlinkat(dir_fd_, tmp, 0);
  Fd fd(::openat(dir_fd_, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) return fail(sys_error(errno, "cannot create the temporary file"));
  auto abandon = [&](const char* what) {
    int err = errno;
    ::unlinkat(dir_fd_, tmp, 0);
    return fail(sys_error(err, what));
  };
  if (::fchmod(fd.get(), 0600) != 0) return abandon("cannot chmod the temporary file");
  if (!write_all(fd.get(), buffer_.data(), written.value())) {
    return abandon("cannot write the temporary file");
  }
  if (::fsync(fd.get()) != 0) return abandon("cannot fsync the temporary file");
  if (::close(fd.release()) != 0) return abandon("cannot close the temporary file");
  if (::renameat(dir_fd_, tmp, dir_fd_, name_.c_str()) != 0) {
    return abandon("cannot rename the temporary file over the store");
  }
  // The new content is in place; only its durability across a power cut
  // depends on this. Report it in the log rather than pretend nothing changed.
  if (::fsync(dir_fd_) != 0) {
    SABLE_LOG_ERROR("bond store: fsync of the directory of %s failed: %s", path_.c_str(),
                    errno_text(errno));
  }
  return {};
}

}  // namespace sable::store

#include "store/file_bond_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_test_util.hpp"

namespace sable::store {
namespace {

using namespace sable::store::testing;

std::unique_ptr<FileBondStore> open_ok(const std::string& path, StoreOptions o = {}) {
  auto r = FileBondStore::open(path, std::move(o));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(r).value() : nullptr;
}

std::vector<std::string> set_aside(const ScratchDir& dir) {
  std::vector<std::string> out;
  for (const auto& f : dir.files())
    if (f.find(".corrupt-") != std::string::npos) out.push_back(f);
  return out;
}

TEST(FileBondStoreTest, MissingFileIsAnEmptyStoreAndNothingIsWrittenUntilAChange) {
  ScratchDir dir;
  auto s = open_ok(dir.file("bonds"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->size(), 0u);
  EXPECT_FALSE(s->local_identity());
  EXPECT_FALSE(s->recovery());
  EXPECT_FALSE(exists(dir.file("bonds")));
}

TEST(FileBondStoreTest, PersistsEveryFieldAcrossReopen) {
  ScratchDir dir;
  const std::string path = dir.file("bonds");
  BondFile written;
  {
    auto s = open_ok(path);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->set_local_identity(LocalIdentity{key_of(9)}).ok());
    ASSERT_TRUE(s->put(full_bond(1)).ok());
    ASSERT_TRUE(s->put(full_bond(2)).ok());
    ASSERT_TRUE(s->put(sc_bond(3)).ok());
    ASSERT_TRUE(s->touch(full_bond(1).peer_identity).ok());
    ASSERT_TRUE(s->set_cccd(sc_bond(3).peer_identity, 0x2A, CccdEntry::kNotify).ok());
    written = s->snapshot();
  }
  auto s = open_ok(path);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->snapshot(), written);
  EXPECT_EQ(s->local_identity(), LocalIdentity{key_of(9)});
  Bond expect = full_bond(2);
  expect.last_used = 2;
  EXPECT_EQ(s->find_by_identity(expect.peer_identity), expect);
  EXPECT_EQ(s->all().front().peer_identity, full_bond(1).peer_identity);  // touched last
  EXPECT_EQ(s->find_by_identity(sc_bond(3).peer_identity)->cccd(0x2A), CccdEntry::kNotify);
  // The use counter continues where it was.
  ASSERT_TRUE(s->put(sc_bond(4)).ok());
  EXPECT_EQ(s->find_by_identity(sc_bond(4).peer_identity)->last_used, 5u);
}

TEST(FileBondStoreTest, FileIsPrivateAndReplacedAtomically) {
  ScratchDir dir;
  const std::string path = dir.file("bonds");
  const mode_t old_umask = ::umask(0);  // even a permissive umask gives 0600
  auto s = open_ok(path);
  ::umask(old_umask);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->put(sc_bond(1)).ok());
  struct stat first {};
  ASSERT_EQ(::stat(path.c_str(), &first), 0);
  EXPECT_EQ(first.st_mode & 07777, 0600u);
  ASSERT_TRUE(s->put(sc_bond(2)).ok());
  struct stat second {};
  ASSERT_EQ(::stat(path.c_str(), &second), 0);
  EXPECT_EQ(second.st_mode & 07777, 0600u);
  EXPECT_NE(first.st_ino, second.st_ino);  // a new file renamed over, not rewritten in place
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"bonds", "bonds.lock"}));  // no .tmp left
  auto decoded = decode(read_bytes(path));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, s->snapshot());
}

TEST(FileBondStoreTest, TightensAGroupReadableFile) {
  ScratchDir dir;
  const std::string path = dir.file("bonds");
  write_bytes(path, encode(sample_file()).value());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto s = open_ok(path);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->size(), 3u);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(FileBondStoreTest, RemovesAStaleTmpAndIgnoresIt) {
  ScratchDir dir;
  const std::string path = dir.file("bonds");
  write_bytes(path + ".tmp", {1, 2, 3});
  auto s = open_ok(path);
  ASSERT_TRUE(s);
  EXPECT_FALSE(exists(path + ".tmp"));
  EXPECT_EQ(s->size(), 0u);
}

TEST(FileBondStoreTest, DeleteOneAndDeleteAllPersist) {
  ScratchDir dir;
  const std::string path = dir.file("bonds");
  {
    auto s = open_ok(path);
    ASSERT_TRUE(s);
    for (uint8_t i = 1; i <= 3; ++i) ASSERT_TRUE(s->put(sc_bond(i)).ok());
    ASSERT_TRUE(s->set_local_identity(LocalIdentity{key_of(1)}).ok());
    ASSERT_TRUE(s->remove(public_address(2)).ok());
    EXPECT_EQ(s->remove(public_address(2)).error().kind, StoreErrorKind::kNotFound);
  }
  {
    auto s = open_ok(path);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->size(), 2u);
    EXPECT_FALSE(s->find_by_identity(public_address(2)));
    EXPECT_TRUE(s->find_by_identity(public_address(3)));
    ASSERT_TRUE(s->clear().ok());
  }
  auto s = open_ok(path);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->size(), 0u);
  EXPECT_EQ(s->local_identity(), LocalIdentity{key_of(1)});
}

TEST(FileBondStoreTest, EvictsLeastRecentlyUsedAcrossReopen) {
  ScratchDir dir;
  const std::string path = dir.file("bonds");
  std::vector<Address> evicted;
  const EvictionCallback on_evicted = record_evictions(evicted);
  {
    auto r = FileBondStore::open(path, 3, on_evicted);
    ASSERT_TRUE(r.ok());
    auto& s = *r.value();
    for (uint8_t i = 1; i <= 3; ++i) ASSERT_TRUE(s.put(sc_bond(i)).ok());
    ASSERT_TRUE(s.touch(public_address(1)).ok());
  }
  {
    auto r = FileBondStore::open(path, 3, on_evicted);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r.value()->put(sc_bond(4)).ok());  // 2 is the least recently used
    EXPECT_EQ(evicted, (std::vector<Address>{public_address(2)}));
  }
  // A smaller capacity on open evicts the oldest and persists that.
  evicted.clear();
  {
    auto r = FileBondStore::open(path, 1, on_evicted);
    ASSERT_TRUE(r.ok());
    std::sort(evicted.begin(), evicted.end(),
              [](const Address& a, const Address& b) { return a.bytes < b.bytes; });
    EXPECT_EQ(evicted, (std::vector<Address>{public_address(1), public_address(3)}));
    ASSERT_EQ(r.value()->size(), 1u);
    EXPECT_TRUE(r.value()->find_by_identity(public_address(4)));
  }
  auto d = decode(read_bytes(path));
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->bonds.size(), 1u);
  EXPECT_EQ(d->bonds[0].peer_identity, public_address(4));
}

// Opens a store on bad content and checks it is reported, set aside intact and
// that the store starts empty and works.
void expect_set_aside(const std::vector<uint8_t>& content, StoreErrorKind kind,
                      const std::string& what, bool use_store = true) {
  ScratchDir dir;
  const std::string path = dir.file("bonds");
  write_bytes(path, content);
  auto s = open_ok(path);
  ASSERT_TRUE(s) << what;
  ASSERT_TRUE(s->recovery()) << what;
  EXPECT_EQ(s->recovery()->error.kind, kind) << what << ": " << s->recovery()->to_string();
  EXPECT_NE(s->recovery()->to_string().find(path), std::string::npos);
  EXPECT_EQ(s->size(), 0u) << what;
  EXPECT_FALSE(exists(path)) << what;
  auto aside = set_aside(dir);
  ASSERT_EQ(aside.size(), 1u) << what;
  EXPECT_EQ(dir.file(aside[0]), s->recovery()->moved_to);
  EXPECT_EQ(read_bytes(s->recovery()->moved_to), content) << what;
  if (use_store) {
    ASSERT_TRUE(s->put(sc_bond(1)).ok()) << what;
    s.reset();
    auto again = open_ok(path);
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->recovery());
    EXPECT_TRUE(again->find_by_identity(public_address(1)));
  }
}

TEST(FileBondStoreTest, EveryTruncationIsReportedAndSetAside) {
  const auto full = encode(sample_file()).value();
  for (size_t len = 0; len < full.size(); ++len) {
    expect_set_aside(std::vector<uint8_t>(full.begin(), full.begin() + long(len)),
                     StoreErrorKind::kCorrupt, "truncated to " + std::to_string(len),
                     len % 16 == 0);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(FileBondStoreTest, AFlippedBitAnywhereIsReportedAndSetAside) {
  const auto full = encode(sample_file()).value();
  for (size_t pos = 0; pos < full.size(); ++pos) {
    auto d = full;
    d[pos] ^= uint8_t(1u << (pos % 8));
    const StoreErrorKind kind = pos < 8    ? StoreErrorKind::kForeign
                                : pos < 10 ? StoreErrorKind::kUnsupportedVersion
                                           : StoreErrorKind::kCorrupt;
    expect_set_aside(d, kind, "bit flipped at " + std::to_string(pos), pos % 16 == 0);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(FileBondStoreTest, ForeignAndFutureFilesAreSetAsideNotOverwritten) {
  const std::string text = "this is somebody else's file\n";
  expect_set_aside(std::vector<uint8_t>(text.begin(), text.end()), StoreErrorKind::kForeign,
                   "foreign");
  auto future = encode(sample_file()).value();
  future[8] = 9;
  put_le32(&future[future.size() - 4], crc32(Bytes(future.data(), future.size() - 4)));
  expect_set_aside(future, StoreErrorKind::kUnsupportedVersion, "future");
}

TEST(FileBondStoreTest, SetAsideNeverReplacesAnEarlierOne) {
  ScratchDir dir;
  const std::string path = dir.file("bonds");
  for (int i = 0; i < 3; ++i) {
    write_bytes(path, {'b', 'a', 'd', uint8_t('0' + i)});
    auto s = open_ok(path);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->recovery());
  }
  auto aside = set_aside(dir);
  ASSERT_EQ(aside.size(), 3u);
  std::vector<std::vector<uint8_t>> contents;
  for (const auto& f : aside) contents.push_back(read_bytes(dir.file(f)));
  std::sort(contents.begin(), contents.end());
  EXPECT_EQ(contents, (std::vector<std::vector<uint8_t>>{
                          {'b', 'a', 'd', '0'}, {'b', 'a', 'd', '1'}, {'b', 'a', 'd', '2'}}));
}

TEST(FileBondStoreTest, AFailedWriteChangesNothing) {
  ScratchDir dir;
  const std::string path = dir.file("bonds");
  auto s = open_ok(path);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->put(sc_bond(1)).ok());
  const auto before = read_bytes(path);
  // A directory where the temporary file goes makes the write fail, even as root.
  ASSERT_EQ(::mkdir((path + ".tmp").c_str(), 0700), 0);
  auto r = s->put(sc_bond(2));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kIo);
  EXPECT_NE(r.error().to_string().find("temporary file"), std::string::npos)
      << r.error().to_string();
  EXPECT_NE(r.error().sys_errno, 0);
  EXPECT_FALSE(s->find_by_identity(public_address(2)));  // memory matches the disk
  EXPECT_EQ(s->remove(public_address(1)).error().kind, StoreErrorKind::kIo);
  EXPECT_TRUE(s->find_by_identity(public_address(1)));
  EXPECT_EQ(read_bytes(path), before);
  ASSERT_EQ(::rmdir((path + ".tmp").c_str()), 0);
  ASSERT_TRUE(s->put(sc_bond(2)).ok());
}

TEST(FileBondStoreTest, ASecondOpenOfTheSameStoreIsRefused) {
  ScratchDir dir;
  const std::string path = dir.file("bonds");
  auto s = open_ok(path);
  ASSERT_TRUE(s);
  auto second = FileBondStore::open(path);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, StoreErrorKind::kBusy);
  s.reset();
  EXPECT_TRUE(FileBondStore::open(path).ok());
}

TEST(FileBondStoreTest, ReportsBadPathsAndArguments) {
  ScratchDir dir;
  auto r = FileBondStore::open(dir.file("missing/bonds"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kIo);
  EXPECT_EQ(r.error().sys_errno, ENOENT);
  EXPECT_NE(r.error().to_string().find("No such file"), std::string::npos) << r.error().to_string();
  EXPECT_EQ(FileBondStore::open(dir.path() + "/").error().kind, StoreErrorKind::kInvalidArgument);
  EXPECT_EQ(FileBondStore::open(dir.file("bonds"), 0).error().kind,
            StoreErrorKind::kInvalidArgument);
  ASSERT_EQ(::mkdir(dir.file("adir").c_str(), 0700), 0);
  r = FileBondStore::open(dir.file("adir"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kIo);
  EXPECT_TRUE(exists(dir.file("adir")));
  ::rmdir(dir.file("adir").c_str());
}

}  // namespace
}  // namespace sable::store

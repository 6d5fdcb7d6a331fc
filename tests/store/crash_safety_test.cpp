// Kill a writer with SIGKILL at random moments, hundreds of times: the file on
// disk must always decode, and always be exactly the state after some number
// of completed writes, never less than what an earlier kill left.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <random>

#include "store/file_bond_store.hpp"
#include "store_test_util.hpp"

namespace sable::store {
namespace {

using namespace sable::store::testing;

constexpr size_t kCapacity = 8;

// Write number `step` (1, 2, ...): deterministic, so the parent can replay it.
Bond bond_for_step(uint64_t step) {
  Bond b = full_bond(uint8_t(step % 13));
  b.ltk->rand = step;
  b.peer_csrk = key_of(uint8_t(step));
  const CccdList cccds = b.cccds;
  b.cccds.assign(std::span<const CccdEntry>(cccds).first(step % 4));
  return b;
}

StoreOptions options() {
  StoreOptions o;
  o.capacity = kCapacity;
  return o;
}

// The child: continue the write sequence from whatever the file holds, forever.
[[noreturn]] void writer(const std::string& path) {
  auto r = FileBondStore::open(path, options());
  if (!r.ok() || r.value()->recovery()) _exit(3);
  auto& s = *r.value();
  uint64_t step = 0;
  for (const auto& b : s.all()) step = std::max(step, b.last_used);
  for (;;) {
    if (!s.put(bond_for_step(++step)).ok()) _exit(4);
  }
}

TEST(CrashSafetyTest, SigkillDuringWritesLeavesOldOrNewContent) {
  ScratchDir dir;
  const std::string path = dir.file("bonds");
  MemoryBondStore replay(options());  // the expected state after `seen` writes
  uint64_t seen = 0;
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> delay_us(0, 25000);
  int kills = 0, mid_write = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 250; ++round) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) writer(path);
    const int us = delay_us(rng);
    const timespec ts{0, long(us) * 1000};
    ::nanosleep(&ts, nullptr);
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "round " << round << ": writer exited with " << WEXITSTATUS(status);
    ++kills;
    if (exists(path + ".tmp")) ++mid_write;

    if (!exists(path)) {
      ASSERT_EQ(seen, 0u) << "round " << round << ": the file disappeared";
      continue;
    }
    auto decoded = decode(read_bytes(path));
    ASSERT_TRUE(decoded.ok()) << "round " << round << ": " << decoded.error().to_string();
    uint64_t step = 0;
    for (const auto& b : decoded->bonds) step = std::max(step, b.last_used);
    ASSERT_GE(step, seen) << "round " << round << ": the file went back in time";
    while (seen < step) ASSERT_TRUE(replay.put(bond_for_step(++seen)).ok());
    ASSERT_EQ(*decoded, replay.snapshot()) << "round " << round << " after " << step << " writes";
  }
  EXPECT_EQ(kills, 250);
  EXPECT_GT(seen, 0u);
  for (const auto& f : dir.files()) EXPECT_EQ(f.find(".corrupt-"), std::string::npos) << f;
  RecordProperty("writes", std::to_string(seen));
  RecordProperty("killed_mid_write", mid_write);
  std::printf("[          ] %d kills, %d left a .tmp behind, %llu writes completed, %.1f s\n",
              kills, mid_write, static_cast<unsigned long long>(seen),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace
}  // namespace sable::store

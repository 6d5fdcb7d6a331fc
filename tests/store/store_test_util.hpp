// Shared helpers for the bond store tests: sample bonds and a scratch directory.
#pragma once

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "store/bond.hpp"
#include "store/bond_store.hpp"
#include "store/codec.hpp"

namespace sable::store::testing {

inline Key128 key_of(uint8_t seed) {
  Key128 k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = uint8_t(seed + i * 7 + 1);
  return k;
}

inline Address public_address(uint8_t n) {
  Address a;
  a.type = AddressType::kPublic;
  a.bytes = {n, 0x11, 0x22, 0x33, 0x44, 0x55};
  return a;
}

inline Address static_random_address(uint8_t n) {
  Address a;
  a.type = AddressType::kRandom;
  a.bytes = {n, 0x01, 0x02, 0x03, 0x04, 0xC5};  // two top bits 0b11: static
  return a;
}

// A bond with every field set to a distinct, non-default value.
inline Bond full_bond(uint8_t n) {
  Bond b;
  b.peer_identity = (n % 2) ? static_random_address(n) : public_address(n);
  b.peer_irk = key_of(uint8_t(n + 10));
  b.ltk = LongTermKey{key_of(uint8_t(n + 20)), 0x1234, 0x0102030405060708ull, 13, true, false};
  b.peer_ltk = LongTermKey{key_of(uint8_t(n + 30)), 0xBEEF, 0xF0E0D0C0B0A09080ull, 7, false, false};
  b.peer_csrk = key_of(uint8_t(n + 40));
  b.cccds = {{0x0003, CccdEntry::kNotify},
             {0x0010, CccdEntry::kIndicate},
             {0xFFFF, CccdEntry::kNotify | CccdEntry::kIndicate}};
  b.last_used = 0x1122334455667700ull + n;
  return b;
}

// LE Secure Connections, MITM: what the secure server's pairing produces.
inline Bond sc_bond(uint8_t n) {
  Bond b;
  b.peer_identity = public_address(n);
  b.peer_irk = key_of(n);
  b.ltk = LongTermKey{key_of(uint8_t(n + 1)), 0, 0, 16, true, true};
  return b;
}

// An eviction callback that appends the evicted identities to `out`.
inline EvictionCallback record_evictions(std::vector<Address>& out) {
  return EvictionCallback{[](void* context, const Bond& b) {
                            static_cast<std::vector<Address>*>(context)->push_back(b.peer_identity);
                          },
                          &out};
}

// Options for a store of `capacity` bonds that records what it evicts in `out`.
inline StoreOptions recording_evictions(size_t capacity, std::vector<Address>& out) {
  StoreOptions o;
  o.capacity = capacity;
  o.on_evicted = record_evictions(out);
  return o;
}

inline BondFile sample_file() {
  BondFile f;
  f.local_identity = LocalIdentity{key_of(99)};
  f.bonds = {full_bond(1), full_bond(2), sc_bond(3)};
  return f;
}

// A fresh directory under the test temp dir, removed with its files at the end.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = "/tmp/sable_store_test_XXXXXX";
    if (const char* t = getenv("TEST_TMPDIR")) tmpl = std::string(t) + "/sable_store_XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    char* d = mkdtemp(buf.data());
    path_ = d ? d : "";
  }
  ~ScratchDir() {
    for (const auto& f : files()) ::unlink((path_ + "/" + f).c_str());
    ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    if (DIR* d = opendir(path_.c_str())) {
      while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
      }
      closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::string path_;
};

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
}

inline bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace sable::store::testing

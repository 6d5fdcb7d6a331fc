#include "store/codec.hpp"

#include <algorithm>
#include <array>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace sable::store {

namespace {

constexpr uint8_t kTagLocalIdentity = 0x01;
constexpr uint8_t kTagBond = 0x02;

constexpr uint8_t kHasPeerIrk = 0x01;
constexpr uint8_t kHasLtk = 0x02;
constexpr uint8_t kHasPeerLtk = 0x04;
constexpr uint8_t kHasPeerCsrk = 0x08;

constexpr uint8_t kLtkAuthenticated = 0x01;
constexpr uint8_t kLtkSecureConnections = 0x02;

constexpr size_t kLtkSize = 16 + 2 + 8 + 1 + 1;
constexpr size_t kRecordHeaderSize = 3;
constexpr size_t kBondFixedSize = 1 + 6 + 8 + 1 + 2;  // address, last_used, present, count

constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kCrcTable = make_crc_table();

StoreError make_error(StoreErrorKind kind, std::optional<size_t> offset, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
StoreError make_error(StoreErrorKind kind, std::optional<size_t> offset, const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  StoreError e;
  e.kind = kind;
  e.offset = offset;
  if (offset) {
    char where[32];
    std::snprintf(where, sizeof where, "offset %zu: ", *offset);
    e.message = std::string(where) + buf;
  } else {
    e.message = buf;
  }
  return e;
}

size_t bond_payload_size(const Bond& b) {
  return kBondFixedSize + (b.peer_irk ? 16 : 0) + (b.ltk ? kLtkSize : 0) +
         (b.peer_ltk ? kLtkSize : 0) + (b.peer_csrk ? 16 : 0) + 4 * b.cccds.size();
}

void put_le64(ByteWriter& w, uint64_t v) {
  w.le32(uint32_t(v));
  w.le32(uint32_t(v >> 32));
}

uint64_t get_le64(ByteReader& r) {
  uint64_t lo = r.le32();
  uint64_t hi = r.le32();
  return lo | (hi << 32);
}

void write_ltk(ByteWriter& w, const LongTermKey& k) {
  w.bytes(k.key).le16(k.ediv);
  put_le64(w, k.rand);
  w.u8(k.key_size);
  w.u8(uint8_t((k.authenticated ? kLtkAuthenticated : 0) |
               (k.secure_connections ? kLtkSecureConnections : 0)));
}

// Reads a key; returns the reason it is unusable, if it is.
std::optional<std::string> read_ltk(ByteReader& r, LongTermKey& k, const char* name) {
  Bytes key = r.take(16);
  if (!r.ok()) return std::string(name) + " truncated";
  std::copy(key.begin(), key.end(), k.key.begin());
  k.ediv = r.le16();
  k.rand = get_le64(r);
  k.key_size = r.u8();
  uint8_t props = r.u8();
  if (!r.ok()) return std::string(name) + " truncated";
  if (props & ~(kLtkAuthenticated | kLtkSecureConnections)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s has unknown property bits 0x%02X", name, unsigned(props));
    return std::string(buf);
  }
  k.authenticated = props & kLtkAuthenticated;
  k.secure_connections = props & kLtkSecureConnections;
  return std::nullopt;
}

bool read_key128(ByteReader& r, Key128& out) {
  Bytes b = r.take(16);
  if (!r.ok()) return false;
  std::copy(b.begin(), b.end(), out.begin());
  return true;
}

// Parses one bond payload; the error's offset is relative to the payload start.
std::optional<std::string> parse_bond(Bytes payload, Bond& b) {
  ByteReader r(payload);
  uint8_t type = r.u8();
  Bytes addr = r.take(6);
  b.last_used = get_le64(r);
  uint8_t present = r.u8();
  if (!r.ok()) return std::string("bond record truncated before its keys");
  std::copy(addr.begin(), addr.end(), b.peer_identity.bytes.begin());
  if (type > 1) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "address type %u (expected 0 public or 1 random)",
                  unsigned(type));
    return std::string(buf);
  }
  b.peer_identity.type = type == 0 ? AddressType::kPublic : AddressType::kRandom;
  if (present & ~(kHasPeerIrk | kHasLtk | kHasPeerLtk | kHasPeerCsrk)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "unknown key flags 0x%02X", unsigned(present));
    return std::string(buf);
  }
  if (present & kHasPeerIrk) {
    if (!read_key128(r, b.peer_irk.emplace())) return std::string("peer IRK truncated");
  }
  if (present & kHasLtk) {
    if (auto e = read_ltk(r, b.ltk.emplace(), "LTK")) return e;
  }
  if (present & kHasPeerLtk) {
    if (auto e = read_ltk(r, b.peer_ltk.emplace(), "peer LTK")) return e;
  }
  if (present & kHasPeerCsrk) {
    if (!read_key128(r, b.peer_csrk.emplace())) return std::string("peer CSRK truncated");
  }
  uint16_t count = r.le16();
  if (!r.ok()) return std::string("CCCD count truncated");
  if (count > kMaxCccdsPerBond) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%u CCCDs (at most %zu)", unsigned(count), kMaxCccdsPerBond);
    return std::string(buf);
  }
  if (r.remaining() != size_t(count) * 4) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%u CCCDs need %zu bytes, the record has %zu left",
                  unsigned(count), size_t(count) * 4, r.remaining());
    return std::string(buf);
  }
  b.cccds.resize(count);
  for (auto& c : b.cccds) {
    c.handle = r.le16();
    c.value = r.le16();
  }
  if (auto e = invalid_reason(b)) return e;
  return std::nullopt;
}

std::optional<std::string> invalid_file(const BondFile& file) {
  if (file.bonds.size() > kMaxBonds) {
    return std::to_string(file.bonds.size()) + " bonds (at most " + std::to_string(kMaxBonds) + ")";
  }
  if (file.local_identity) {
    if (auto r = invalid_reason(*file.local_identity)) return r;
  }
  for (size_t i = 0; i < file.bonds.size(); ++i) {
    const Bond& b = file.bonds[i];
    if (auto r = invalid_reason(b)) return "bond " + b.peer_identity.to_string() + ": " + *r;
    if (b.peer_identity.type != AddressType::kPublic &&
        b.peer_identity.type != AddressType::kRandom) {
      return "bond " + b.peer_identity.to_string() + ": address type must be public or random";
    }
    if (b.cccds.size() > kMaxCccdsPerBond) {
      return "bond " + b.peer_identity.to_string() + ": too many CCCDs";
    }
    for (size_t j = 0; j < i; ++j) {
      if (file.bonds[j].peer_identity == b.peer_identity) {
        return "bond " + b.peer_identity.to_string() + " appears twice";
      }
    }
  }
  return std::nullopt;
}

}  // namespace

uint32_t crc32(Bytes data, uint32_t previous) {
  uint32_t c = ~previous;
  for (uint8_t b : data) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return ~c;
}

size_t encoded_size(const BondFile& file) {
  size_t n = kHeaderSize + 2 + kTrailerSize;
  if (file.local_identity) n += kRecordHeaderSize + 16;
  for (const auto& b : file.bonds) n += kRecordHeaderSize + bond_payload_size(b);
  return n;
}

Result<size_t, StoreError> encode(const BondFile& file, MutableBytes out) {
  if (auto r = invalid_file(file)) {
    return fail(make_error(StoreErrorKind::kInvalidArgument, std::nullopt, "%s", r->c_str()));
  }
  const size_t total = encoded_size(file);
  if (out.size() < total) {
    return fail(make_error(StoreErrorKind::kFull, std::nullopt,
                           "the bond store needs %zu bytes, %zu available", total, out.size()));
  }
  ByteWriter w(out.first(total));
  w.bytes(Bytes(kMagic, sizeof kMagic)).le16(kFormatVersion).le16(0);
  w.le32(uint32_t(total - kHeaderSize - kTrailerSize));
  w.le16(uint16_t(file.bonds.size() + (file.local_identity ? 1 : 0)));
  if (file.local_identity) {
    w.u8(kTagLocalIdentity).le16(16).bytes(file.local_identity->irk);
  }
  for (const auto& b : file.bonds) {
    w.u8(kTagBond).le16(uint16_t(bond_payload_size(b)));
    w.u8(b.peer_identity.type == AddressType::kPublic ? 0 : 1).bytes(b.peer_identity.bytes);
    put_le64(w, b.last_used);
    w.u8(uint8_t((b.peer_irk ? kHasPeerIrk : 0) | (b.ltk ? kHasLtk : 0) |
                 (b.peer_ltk ? kHasPeerLtk : 0) | (b.peer_csrk ? kHasPeerCsrk : 0)));
    if (b.peer_irk) w.bytes(*b.peer_irk);
    if (b.ltk) write_ltk(w, *b.ltk);
    if (b.peer_ltk) write_ltk(w, *b.peer_ltk);
    if (b.peer_csrk) w.bytes(*b.peer_csrk);
    w.le16(uint16_t(b.cccds.size()));
    for (const auto& c : b.cccds) w.le16(c.handle).le16(c.value);
  }
  w.le32(crc32(w.written()));
  if (!w.ok() || w.size() != total) {
    return fail(make_error(StoreErrorKind::kInvalidArgument, std::nullopt,
                           "internal: encoded %zu bytes, expected %zu", w.size(), total));
  }
  return total;
}

Result<std::vector<uint8_t>, StoreError> encode(const BondFile& file) {
  std::vector<uint8_t> out(encoded_size(file));
  auto n = encode(file, out);
  if (!n) return fail(n.error());
  return out;
}

Result<BondFile, StoreError> decode(Bytes data) {
  using K = StoreErrorKind;
  if (data.empty()) return fail(make_error(K::kCorrupt, size_t(0), "empty file"));
  const size_t magic_len = std::min(data.size(), sizeof kMagic);
  if (std::memcmp(data.data(), kMagic, magic_len) != 0) {
    return fail(make_error(K::kForeign, size_t(0),
                           "not a sable bond store (does not start with \"SABLEBND\")"));
  }
  if (data.size() > kMaxEncodedSize) {
    return fail(make_error(K::kCorrupt, size_t(0), "%zu bytes, larger than any bond store (%zu)",
                           data.size(), kMaxEncodedSize));
  }
  if (data.size() < kHeaderSize + kTrailerSize) {
    return fail(make_error(K::kCorrupt, data.size(),
                           "truncated: %zu bytes, shorter than header and CRC (%zu)", data.size(),
                           kHeaderSize + kTrailerSize));
  }
  const uint16_t version = get_le16(&data[8]);
  if (version != kFormatVersion) {
    return fail(make_error(K::kUnsupportedVersion, size_t(8),
                           "format version %u (this build reads version %u)", unsigned(version),
                           unsigned(kFormatVersion)));
  }
  const uint16_t flags = get_le16(&data[10]);
  const uint32_t body_len = get_le32(&data[12]);
  const size_t expected = kHeaderSize + size_t(body_len) + kTrailerSize;
  if (expected != data.size()) {
    return fail(make_error(K::kCorrupt, size_t(12), "%s: header says %zu bytes, the data has %zu",
                           expected > data.size() ? "truncated" : "trailing bytes", expected,
                           data.size()));
  }
  const uint32_t stored_crc = get_le32(&data[data.size() - kTrailerSize]);
  const uint32_t computed = crc32(data.first(data.size() - kTrailerSize));
  if (stored_crc != computed) {
    return fail(make_error(
        K::kCorrupt, data.size() - kTrailerSize, "CRC mismatch (stored 0x%08lX, computed 0x%08lX)",
        static_cast<unsigned long>(stored_crc), static_cast<unsigned long>(computed)));
  }
  if (flags != 0) {
    return fail(make_error(K::kCorrupt, size_t(10), "unknown header flags 0x%04X", flags));
  }

  BondFile file;
  const Bytes body = data.subspan(kHeaderSize, body_len);
  ByteReader r(body);
  auto offset = [&] { return kHeaderSize + (body.size() - r.remaining()); };
  const uint16_t count = r.le16();
  if (!r.ok()) return fail(make_error(K::kCorrupt, kHeaderSize, "record count truncated"));
  if (count > kMaxBonds + 1) {
    return fail(make_error(K::kCorrupt, kHeaderSize, "%u records (at most %zu)", unsigned(count),
                           kMaxBonds + 1));
  }
  for (unsigned i = 0; i < count; ++i) {
    const size_t at = offset();
    const uint8_t tag = r.u8();
    const uint16_t len = r.le16();
    if (!r.ok()) {
      return fail(
          make_error(K::kCorrupt, at, "record %u of %u: header truncated", i, unsigned(count)));
    }
    if (len > r.remaining()) {
      return fail(make_error(K::kCorrupt, at,
                             "record %u: length %u exceeds the %zu bytes left in the body", i,
                             unsigned(len), r.remaining()));
    }
    const Bytes payload = r.take(len);
    if (tag == kTagLocalIdentity) {
      if (file.local_identity) {
        return fail(make_error(K::kCorrupt, at, "record %u: second local identity", i));
      }
      if (len != 16) {
        return fail(make_error(K::kCorrupt, at, "record %u (local identity): length %u, not 16", i,
                               unsigned(len)));
      }
      LocalIdentity li;
      std::copy(payload.begin(), payload.end(), li.irk.begin());
      if (auto e = invalid_reason(li)) {
        return fail(make_error(K::kCorrupt, at, "record %u (local identity): %s", i, e->c_str()));
      }
      file.local_identity = li;
    } else if (tag == kTagBond) {
      if (file.bonds.size() == kMaxBonds) {
        return fail(make_error(K::kCorrupt, at, "record %u: more than %zu bonds", i, kMaxBonds));
      }
      Bond b;
      if (auto e = parse_bond(payload, b)) {
        return fail(make_error(K::kCorrupt, at, "record %u (bond %s): %s", i,
                               b.peer_identity.to_string().c_str(), e->c_str()));
      }
      for (const auto& other : file.bonds) {
        if (other.peer_identity == b.peer_identity) {
          return fail(make_error(K::kCorrupt, at, "record %u: bond %s appears twice", i,
                                 b.peer_identity.to_string().c_str()));
        }
      }
      file.bonds.push_back(std::move(b));
    } else {
      return fail(make_error(K::kCorrupt, at, "record %u: unknown tag 0x%02X", i, unsigned(tag)));
    }
  }
  if (!r.at_end()) {
    return fail(
        make_error(K::kCorrupt, offset(), "%zu bytes after the last record", r.remaining()));
  }
  return file;
}

}  // namespace sable::store

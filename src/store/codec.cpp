#include "store/codec.hpp"

#include <algorithm>
#include <array>
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
constexpr size_t kIdentityPrefix = 1 + 6;             // address type and address

// CRC-32 four bits at a time: a 64-octet table instead of the usual 1 KB.
constexpr std::array<uint32_t, 16> make_crc_nibbles() {
  std::array<uint32_t, 16> t{};
  for (uint32_t i = 0; i < 16; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 4; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 16> kCrcNibbles = make_crc_nibbles();

StoreError make_error(StoreErrorKind kind, const char* reason, std::optional<size_t> offset) {
  StoreError e;
  e.kind = kind;
  e.reason = reason;
  e.offset = offset;
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

// A short read leaves r failed (checked once per record).
void read_key128(ByteReader& r, Key128& out) {
  Bytes b = r.take(16);
  if (r.ok()) std::memcpy(out.data(), b.data(), 16);
}

// Collects property bits this format does not know into unknown.
void read_ltk(ByteReader& r, LongTermKey& k, uint8_t& unknown) {
  read_key128(r, k.key);
  k.ediv = r.le16();
  k.rand = get_le64(r);
  k.key_size = r.u8();
  const uint8_t props = r.u8();
  unknown |= props & ~(kLtkAuthenticated | kLtkSecureConnections);
  k.authenticated = props & kLtkAuthenticated;
  k.secure_connections = props & kLtkSecureConnections;
}

// Parses one bond payload; returns why it is bad, or nullptr. CCCDs beyond
// what a bond holds are checked and left out (codec.hpp).
const char* parse_bond(Bytes payload, Bond& b) {
  ByteReader r(payload);
  const uint8_t type = r.u8();
  const Bytes addr = r.take(6);
  b.last_used = get_le64(r);
  const uint8_t present = r.u8();
  uint8_t unknown_properties = 0;
  if (present & kHasPeerIrk) read_key128(r, b.peer_irk.emplace());
  if (present & kHasLtk) read_ltk(r, b.ltk.emplace(), unknown_properties);
  if (present & kHasPeerLtk) read_ltk(r, b.peer_ltk.emplace(), unknown_properties);
  if (present & kHasPeerCsrk) read_key128(r, b.peer_csrk.emplace());
  const uint16_t count = r.le16();
  if (!r.ok()) return "bond record truncated";
  std::memcpy(b.peer_identity.bytes.data(), addr.data(), 6);
  if (type > 1) return "address type not 0 or 1";
  b.peer_identity.type = type == 0 ? AddressType::kPublic : AddressType::kRandom;
  if (present & ~(kHasPeerIrk | kHasLtk | kHasPeerLtk | kHasPeerCsrk)) return "unknown key flags";
  if (unknown_properties) return "unknown LTK property bits";
  if (count > kFormatMaxCccds || r.remaining() != size_t(count) * 4) return "bad CCCD count";
  std::array<CccdEntry, kMaxCccdsPerBond> kept;
  size_t n = 0;
  uint32_t previous = 0;
  for (unsigned i = 0; i < count; ++i) {
    CccdEntry c;
    c.handle = r.le16();
    c.value = r.le16();
    if (c.handle <= previous) {
      // The same checks as invalid_reason() makes of the ones kept.
      return c.handle == 0 ? "CCCD handle 0" : "CCCD handles not ascending";
    }
    if (c.value == 0 || (c.value & ~(CccdEntry::kNotify | CccdEntry::kIndicate)) != 0)
      return "CCCD value not 1, 2 or 3";
    previous = c.handle;
    if (n < kept.size()) kept[n++] = c;
  }
  b.cccds.assign(std::span<const CccdEntry>(kept.data(), n));
  return invalid_reason(b);
}

const char* invalid_file(BondFileView file) {
  if (file.bonds.size() > kFormatMaxBonds) return "too many bonds";
  if (file.local_identity) {
    if (const char* r = invalid_reason(*file.local_identity)) return r;
  }
  for (size_t i = 0; i < file.bonds.size(); ++i) {
    const Bond& b = file.bonds[i];
    if (const char* r = invalid_reason(b)) return r;
    if (b.peer_identity.type != AddressType::kPublic &&
        b.peer_identity.type != AddressType::kRandom) {
      return "bond address type not public or random";
    }
    for (size_t j = 0; j < i; ++j) {
      if (file.bonds[j].peer_identity == b.peer_identity) return "bond appears twice";
    }
  }
  return nullptr;
}

// True when a bond record before `body_offset` in body has the same identity
// (the records before it are known to be well formed).
bool earlier_bond_has(Bytes body, size_t body_offset, Bytes identity) {
  size_t at = 2;
  while (at < body_offset) {
    const uint8_t tag = body[at];
    const size_t len = get_le16(&body[at + 1]);
    if (tag == kTagBond &&
        std::memcmp(&body[at + kRecordHeaderSize], identity.data(), kIdentityPrefix) == 0) {
      return true;
    }
    at += kRecordHeaderSize + len;
  }
  return false;
}

// Writes a valid file into out, exactly its encoded size; false if the sizes disagree.
bool write_file(BondFileView file, MutableBytes out) {
  ByteWriter w(out);
  w.bytes(Bytes(kMagic, sizeof kMagic)).le16(kFormatVersion).le16(0);
  w.le32(uint32_t(out.size() - kHeaderSize - kTrailerSize));
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
  return w.ok() && w.size() == out.size();
}

// What is wrong with the data, and where (one error path: small code).
struct Problem {
  StoreErrorKind kind = StoreErrorKind::kCorrupt;
  const char* reason = nullptr;
  size_t offset = 0;
};

// Checks the header and the CRC; the problem's reason, or nullptr.
const char* check_header(Bytes data, Problem& p) {
  p.offset = 0;
  if (data.empty()) return "empty";
  const size_t magic_len = std::min(data.size(), sizeof kMagic);
  if (std::memcmp(data.data(), kMagic, magic_len) != 0) {
    p.kind = StoreErrorKind::kForeign;
    return "not a sable bond store";
  }
  if (data.size() > kMaxEncodedSize) return "too large";
  p.offset = data.size();
  if (data.size() < kHeaderSize + kTrailerSize) return "truncated header";
  p.offset = 8;
  if (get_le16(&data[8]) != kFormatVersion) {
    p.kind = StoreErrorKind::kUnsupportedVersion;
    return "another format version";
  }
  p.offset = 12;
  if (kHeaderSize + size_t(get_le32(&data[12])) + kTrailerSize != data.size())
    return "length differs from the header's";
  p.offset = data.size() - kTrailerSize;
  if (get_le32(&data[p.offset]) != crc32(data.first(p.offset))) return "CRC mismatch";
  p.offset = 10;
  if (get_le16(&data[10]) != 0) return "unknown header flags";
  return nullptr;
}

// Checks the records (the header is valid); hands them to sink when given.
// The problem's reason, or nullptr.
const char* walk_records(Bytes body, DecodeSink* sink, Problem& p) {
  ByteReader r(body);
  p.offset = kHeaderSize;
  const uint16_t count = r.le16();
  if (!r.ok()) return "record count truncated";
  if (count > kFormatMaxBonds + 1) return "too many records";
  bool have_identity = false;
  size_t bonds = 0;
  for (unsigned i = 0; i < count; ++i) {
    const size_t at = body.size() - r.remaining();
    p.offset = kHeaderSize + at;
    const uint8_t tag = r.u8();
    const uint16_t len = r.le16();
    if (!r.ok()) return "record header truncated";
    if (len > r.remaining()) return "record length exceeds the body";
    const Bytes payload = r.take(len);
    if (tag == kTagLocalIdentity) {
      if (have_identity) return "second local identity";
      if (len != 16) return "local identity length not 16";
      LocalIdentity li;
      std::memcpy(li.irk.data(), payload.data(), 16);
      if (const char* e = invalid_reason(li)) return e;
      have_identity = true;
      if (sink) sink->on_local_identity(li);
    } else if (tag == kTagBond) {
      if (++bonds > kFormatMaxBonds) return "too many bonds";
      Bond b;
      if (const char* e = parse_bond(payload, b)) return e;
      if (earlier_bond_has(body, at, payload.first(kIdentityPrefix))) return "bond appears twice";
      if (sink) sink->on_bond(b);
    } else {
      return "unknown record tag";
    }
  }
  p.offset = kHeaderSize + body.size() - r.remaining();
  if (!r.at_end()) return "bytes after the last record";
  return nullptr;
}

// Checks everything; hands the records to sink when it is given.
Result<void, StoreError> walk(Bytes data, DecodeSink* sink) {
  Problem p;
  p.reason = check_header(data, p);
  if (!p.reason) {
    p.reason =
        walk_records(data.subspan(kHeaderSize, data.size() - kHeaderSize - kTrailerSize), sink, p);
  }
  if (p.reason) return fail(make_error(p.kind, p.reason, p.offset));
  return {};
}

}  // namespace

uint32_t crc32(Bytes data, uint32_t previous) {
  uint32_t c = ~previous;
  for (uint8_t b : data) {
    c ^= b;
    c = kCrcNibbles[c & 0x0F] ^ (c >> 4);
    c = kCrcNibbles[c & 0x0F] ^ (c >> 4);
  }
  return ~c;
}

size_t encoded_size(BondFileView file) {
  size_t n = kHeaderSize + 2 + kTrailerSize;
  if (file.local_identity) n += kRecordHeaderSize + 16;
  for (const auto& b : file.bonds) n += kRecordHeaderSize + bond_payload_size(b);
  return n;
}

size_t max_encoded_size(size_t capacity) {
  const size_t bond =
      kRecordHeaderSize + kBondFixedSize + 16 + 2 * kLtkSize + 16 + 4 * kMaxCccdsPerBond;
  return kHeaderSize + 2 + kTrailerSize + kRecordHeaderSize + 16 + capacity * bond;
}

Result<size_t, StoreError> encode(BondFileView file, MutableBytes out) {
  StoreErrorKind kind = StoreErrorKind::kInvalidArgument;
  const size_t total = encoded_size(file);
  const char* reason = invalid_file(file);
  if (!reason && out.size() < total) {
    kind = StoreErrorKind::kFull;
    reason = "no room";
  }
  if (!reason && !write_file(file, out.first(total))) reason = "encoded size differs";
  if (reason) return fail(make_error(kind, reason, std::nullopt));
  return total;
}

Result<std::vector<uint8_t>, StoreError> encode(const BondFile& file) {
  std::vector<uint8_t> out(encoded_size(file));
  auto n = encode(BondFileView(file), out);
  if (!n) return fail(n.error());
  return out;
}

Result<void, StoreError> decode(Bytes data, DecodeSink& sink) {
  if (auto checked = walk(data, nullptr); !checked) return checked;
  return walk(data, &sink);
}

Result<BondFile, StoreError> decode(Bytes data) {
  struct Collect final : DecodeSink {
    BondFile file;
    void on_local_identity(const LocalIdentity& identity) override {
      file.local_identity = identity;
    }
    void on_bond(const Bond& bond) override { file.bonds.push_back(bond); }
  } collect;
  if (auto r = decode(data, collect); !r) return fail(r.error());
  return std::move(collect.file);
}

}  // namespace sable::store

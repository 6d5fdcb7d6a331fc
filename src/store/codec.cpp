#include "store/codec.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <type_traits>

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

size_t bond_payload_size(const Bond& b) {
  return kBondFixedSize + (b.peer_irk ? 16 : 0) + (b.ltk ? kLtkSize : 0) +
         (b.peer_ltk ? kLtkSize : 0) + (b.peer_csrk ? 16 : 0) + 4 * b.cccds.size();
}

// Moves fields between a value and its encoding, in either direction, so that
// the record layout is written down once (bond_payload) for encode and decode.
// A read past the end leaves the cursor failed and the value as it was.
// Writing never stores into the values it is given (encode() hands in const
// bonds as non-const references: one routine for both directions).
struct Cursor {
  uint8_t* at;  // never written through when reading
  size_t left;
  bool writing;
  bool ok = true;

  void raw(void* data, size_t n) {
    if (!ok || left < n) {
      ok = false;
      return;
    }
    if (writing) {
      std::memcpy(at, data, n);
    } else {
      std::memcpy(data, at, n);
    }
    at += n;
    left -= n;
  }
  // An integer, little endian in the encoding: on a little-endian host its
  // own octets (one copy routine for every field, no shifting code).
  template <typename T>
  void field(T& v) {
    static_assert(std::is_integral_v<T>);
    if constexpr (std::endian::native == std::endian::little) {
      raw(&v, sizeof v);
    } else {
      uint8_t b[sizeof v];
      for (size_t i = 0; i < sizeof v; ++i) b[i] = uint8_t(uint64_t(v) >> (8 * i));
      raw(b, sizeof v);
      uint64_t read = 0;
      for (size_t i = sizeof v; i-- > 0;) read = read << 8 | b[i];
      if (!writing) v = T(read);
    }
  }
  // A record's tag and length (codec.hpp).
  void record_header(uint8_t& tag, uint16_t& length) {
    field(tag);
    field(length);
  }
};

// The optional key a present bit stands for: made when reading (when writing,
// the bit says it is there), nullptr when absent.
template <typename T>
T* present_key(std::optional<T>& key, uint8_t present, uint8_t bit) {
  if ((present & bit) == 0) return nullptr;
  if (!key) key.emplace();
  return &*key;
}

// Collects property bits this format does not know into unknown.
void ltk_fields(Cursor& c, LongTermKey* k, uint8_t& unknown) {
  if (!k) return;
  c.raw(k->key.data(), 16);
  c.field(k->ediv);
  c.field(k->rand);
  c.field(k->key_size);
  uint8_t props = uint8_t((k->authenticated ? kLtkAuthenticated : 0) |
                          (k->secure_connections ? kLtkSecureConnections : 0));
  c.field(props);
  unknown |= props & ~(kLtkAuthenticated | kLtkSecureConnections);
  if (c.writing) return;
  k->authenticated = props & kLtkAuthenticated;
  k->secure_connections = props & kLtkSecureConnections;
}

// A 16-octet key that its present bit stands for (one routine for the IRK
// and the CSRK).
[[gnu::noinline]] void key_field(Cursor& c, std::optional<Key128>& key, uint8_t present,
                                 uint8_t bit) {
  if (Key128* k = present_key(key, present, bit)) c.raw(k->data(), 16);
}

// A bond record's payload (codec.hpp), in either direction. Reading also
// checks it: returns why it is bad, or nullptr. CCCDs beyond what a bond
// holds are checked and left out (codec.hpp).
const char* bond_payload(Cursor& c, Bond& b) {
  // What the record holds besides the Bond's own values: when writing, from b.
  const AddressType address_type = b.peer_identity.type;
  uint8_t type = address_type == AddressType::kPublic   ? 0
                 : address_type == AddressType::kRandom ? 1
                                                        : 2;
  uint8_t present = uint8_t((b.peer_irk ? kHasPeerIrk : 0) | (b.ltk ? kHasLtk : 0) |
                            (b.peer_ltk ? kHasPeerLtk : 0) | (b.peer_csrk ? kHasPeerCsrk : 0));
  uint16_t cccd_count = uint16_t(b.cccds.size());
  uint8_t unknown_properties = 0;
  c.field(type);
  c.raw(b.peer_identity.bytes.data(), 6);
  c.field(b.last_used);
  c.field(present);
  key_field(c, b.peer_irk, present, kHasPeerIrk);
  ltk_fields(c, present_key(b.ltk, present, kHasLtk), unknown_properties);
  ltk_fields(c, present_key(b.peer_ltk, present, kHasPeerLtk), unknown_properties);
  key_field(c, b.peer_csrk, present, kHasPeerCsrk);
  c.field(cccd_count);
  if (!c.writing) {
    if (!c.ok) return "bond record truncated";
    if (type > 1) return "address type not 0 or 1";
    b.peer_identity.type = type == 0 ? AddressType::kPublic : AddressType::kRandom;
    if (present & ~(kHasPeerIrk | kHasLtk | kHasPeerLtk | kHasPeerCsrk)) return "unknown key flags";
    if (unknown_properties) return "unknown LTK property bits";
    if (cccd_count > kFormatMaxCccds || c.left != size_t(cccd_count) * 4) return "bad CCCD count";
  }
  uint32_t previous = 0;
  for (unsigned i = 0; i < cccd_count; ++i) {
    CccdEntry e = c.writing ? b.cccds[i] : CccdEntry{};
    c.field(e.handle);
    c.field(e.value);
    if (c.writing) continue;
    // The same checks as invalid_reason() makes of the ones kept.
    if (const char* r = invalid_cccd(e, previous)) return r;
    previous = e.handle;
    // Ascending handles (just checked); those beyond what a bond holds are left out.
    b.cccds.push_back(e);
  }
  return c.writing ? nullptr : invalid_reason(b);
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

// Checks the header and the CRC; the problem's reason, or nullptr.
const char* check_header(Bytes data, StoreErrorKind& kind, size_t& offset) {
  offset = 0;
  if (data.empty()) return "empty";
  const size_t magic_len = std::min(data.size(), sizeof kMagic);
  if (std::memcmp(data.data(), kMagic, magic_len) != 0) {
    kind = StoreErrorKind::kForeign;
    return "not a sable bond store";
  }
  if (data.size() > kMaxEncodedSize) return "too large";
  offset = data.size();
  if (data.size() < kHeaderSize + kTrailerSize) return "truncated header";
  offset = 8;
  if (get_le16(&data[8]) != kFormatVersion) {
    kind = StoreErrorKind::kUnsupportedVersion;
    return "another format version";
  }
  offset = 12;
  if (kHeaderSize + size_t(get_le32(&data[12])) + kTrailerSize != data.size())
    return "length differs from the header's";
  const size_t crc_at = data.size() - kTrailerSize;
  offset = crc_at;
  if (get_le32(&data[crc_at]) != crc32(data.first(crc_at))) return "CRC mismatch";
  offset = 10;
  if (get_le16(&data[10]) != 0) return "unknown header flags";
  return nullptr;
}

// Checks the records (the header is valid); hands them to sink when given.
// The problem's reason, or nullptr.
const char* walk_records(Bytes body, DecodeSink* sink, size_t& offset) {
  Cursor c{const_cast<uint8_t*>(body.data()), body.size(), false};
  offset = kHeaderSize;
  uint16_t count = 0;
  c.field(count);
  if (!c.ok) return "record count truncated";
  if (count > kFormatMaxBonds + 1) return "too many records";
  bool have_identity = false;
  for (unsigned i = 0; i < count; ++i) {
    const size_t at = body.size() - c.left;
    offset = kHeaderSize + at;
    uint8_t tag = 0;
    uint16_t len = 0;
    c.record_header(tag, len);
    if (!c.ok) return "record header truncated";
    if (len > c.left) return "record length exceeds the body";
    Cursor payload{c.at, len, false};
    c.at += len;
    c.left -= len;
    if (tag == kTagLocalIdentity) {
      if (have_identity) return "second local identity";
      if (len != 16) return "local identity length not 16";
      LocalIdentity li;
      payload.raw(li.irk.data(), 16);
      if (const char* e = invalid_reason(li)) return e;
      have_identity = true;
      if (sink) sink->on_local_identity(li);
    } else if (tag == kTagBond) {
      if (i - have_identity >= kFormatMaxBonds) return "too many bonds";
      Bond b;
      if (const char* e = bond_payload(payload, b)) return e;
      if (earlier_bond_has(body, at, Bytes(c.at - len, kIdentityPrefix)))
        return "bond appears twice";
      if (sink) sink->on_bond(b);
    } else {
      return "unknown record tag";
    }
  }
  offset = kHeaderSize + body.size() - c.left;
  if (c.left != 0) return "bytes after the last record";
  return nullptr;
}

// Checks everything; hands the records to sink when it is given. The reason,
// with kind and offset in p (one error path: small code), or nullptr.
const char* walk(Bytes data, DecodeSink* sink, StoreError& p) {
  // The offset is kept in a plain variable and stored once, on failure.
  p.kind = StoreErrorKind::kCorrupt;
  size_t offset = 0;
  const char* reason = check_header(data, p.kind, offset);
  if (!reason) {
    reason = walk_records(data.subspan(kHeaderSize, data.size() - kHeaderSize - kTrailerSize), sink,
                          offset);
  }
  if (reason) p.offset = offset;
  return reason;
}

// Writes file into out, exactly its encoded size (total), and reads it back:
// what cannot be read back is refused. A bond that is not valid is written so
// that reading it fails (an address type other than public or random as 2).
const char* write_file(BondFileView file, MutableBytes out, StoreError& e, size_t& total) {
  // What one bond alone gets wrong is named before the room is looked at; the
  // rest (identities that repeat, too many bonds) shows when reading back.
  for (const Bond& b : file.bonds) {
    if (const char* reason = invalid_reason(b)) return reason;
  }
  total = encoded_size(file);
  if (out.size() < total) {
    e.kind = StoreErrorKind::kFull;
    return "no room";
  }
  out = out.first(total);
  uint8_t* header = out.data();
  std::memcpy(header, kMagic, sizeof kMagic);
  put_le16(header + 8, kFormatVersion);
  put_le16(header + 10, 0);  // flags
  put_le32(header + 12, uint32_t(total - kHeaderSize - kTrailerSize));
  put_le16(header + kHeaderSize, uint16_t(file.bonds.size() + (file.local_identity ? 1 : 0)));
  Cursor c{header + kHeaderSize + 2, total - kHeaderSize - 2, true};
  uint8_t tag = kTagLocalIdentity;
  uint16_t len = 16;
  if (file.local_identity) {
    c.record_header(tag, len);
    c.raw(const_cast<uint8_t*>(file.local_identity->irk.data()), 16);
  }
  tag = kTagBond;
  for (const Bond& bond : file.bonds) {
    Bond& b = const_cast<Bond&>(bond);  // only read (Cursor)
    len = uint16_t(bond_payload_size(b));
    c.record_header(tag, len);
    (void)bond_payload(c, b);
  }
  const size_t crc_at = total - kTrailerSize;
  put_le32(header + crc_at, crc32(out.first(crc_at)));
  const char* reason = walk(out, nullptr, e);
  e.kind = StoreErrorKind::kInvalidArgument;
  e.offset.reset();
  return reason;
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
  Unexpected<StoreError> failed;  // the error is filled in place: no copies
  StoreError& e = failed.error;
  e.kind = StoreErrorKind::kInvalidArgument;
  size_t total = 0;
  e.reason = write_file(file, out, e, total);
  if (e.reason) return failed;
  return total;
}

Result<std::vector<uint8_t>, StoreError> encode(const BondFile& file) {
  std::vector<uint8_t> out(encoded_size(file));
  auto n = encode(BondFileView(file), out);
  if (!n) return fail(n.error());
  return out;
}

bool decode_into(Bytes data, DecodeSink& sink, StoreError& e) {
  e.reason = walk(data, nullptr, e);
  if (e.reason) return false;
  (void)walk(data, &sink, e);  // known to be valid now
  return true;
}

Result<void, StoreError> decode(Bytes data, DecodeSink& sink) {
  Unexpected<StoreError> failed;  // the error is filled in place: no copies
  if (!decode_into(data, sink, failed.error)) return failed;
  return {};
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

// The bond store's serialized form, free of I/O so that an MCU port can keep
// the same bytes in a flash page. All integers little endian.
//
//   header   magic "SABLEBND" (8) | version u16 | flags u16 (0) | body length u32
//   body     record count u16, then per record: tag u8 | length u16 | payload
//              tag 0x01 local identity: IRK (16)              at most once
//              tag 0x02 bond:
//                address type u8 (0 public, 1 random static) | address (6, LSB first)
//                last_used u64 | present u8 (bit0 peer IRK, bit1 LTK, bit2 peer LTK,
//                bit3 peer CSRK) | [peer IRK 16] | [LTK 28] | [peer LTK 28] |
//                [peer CSRK 16] | CCCD count u16 | count x (handle u16, value u16)
//              LTK: key (16) | EDIV u16 | Rand u64 | key size u8 |
//                   properties u8 (bit0 authenticated, bit1 Secure Connections)
//   trailer  CRC-32 (IEEE 802.3, as zlib's crc32) over header and body
//
// A change of layout bumps the version; decode() reads exactly kFormatVersion.
// A record may hold up to kFormatMaxCccds CCCDs and a file kFormatMaxBonds
// bonds, whatever this build's limits (store/limits.hpp): a bond keeps the
// first kMaxCccdsPerBond of its CCCDs, and a store loading more bonds than it
// holds keeps the most recently used (no bond is lost to a smaller build's
// CCCD limit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/bytes.hpp"
#include "sable/result.hpp"
#include "store/bond.hpp"

namespace sable::store {

inline constexpr uint8_t kMagic[8] = {'S', 'A', 'B', 'L', 'E', 'B', 'N', 'D'};
inline constexpr uint16_t kFormatVersion = 1;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kTrailerSize = 4;
// No valid store is larger than this; decode() rejects bigger input up front.
inline constexpr size_t kMaxEncodedSize = 4u << 20;

// Everything a store persists, as values (tests and tools; allocates).
struct BondFile {
  std::optional<LocalIdentity> local_identity;
  std::vector<Bond> bonds;

  friend bool operator==(const BondFile&, const BondFile&) = default;
};

// What encode() writes: a view of a store's state, no copy.
struct BondFileView {
  const LocalIdentity* local_identity = nullptr;  // none when nullptr
  std::span<const Bond> bonds;

  BondFileView() = default;
  BondFileView(const LocalIdentity* identity, std::span<const Bond> b)
      : local_identity(identity), bonds(b) {}
  BondFileView(const BondFile& f)  // NOLINT(google-explicit-constructor): a view of it
      : local_identity(f.local_identity ? &*f.local_identity : nullptr), bonds(f.bonds) {}
};

// Receives what decode() read, record by record, once the whole input is
// known to be valid (so a sink never sees part of a corrupt store).
class DecodeSink {
 public:
  virtual void on_local_identity(const LocalIdentity& identity) = 0;
  virtual void on_bond(const Bond& bond) = 0;

 protected:
  ~DecodeSink() = default;
};

// CRC-32 (reflected polynomial 0xEDB88320, as zlib and Ethernet); pass the
// previous result to continue over several pieces. crc32("123456789") == 0xCBF43926.
uint32_t crc32(Bytes data, uint32_t previous = 0);

// Octets encode() writes for file (whether or not it is valid).
size_t encoded_size(BondFileView file);
// The most a store of `capacity` bonds ever encodes to.
size_t max_encoded_size(size_t capacity);

// Writes file into out; returns the octets written. kInvalidArgument when a
// bond fails invalid_reason(), identities repeat, or a limit is exceeded (what
// cannot be read back is never written); kFull when out is too small.
Result<size_t, StoreError> encode(BondFileView file, MutableBytes out);
Result<std::vector<uint8_t>, StoreError> encode(const BondFile& file);

// Validates every length and field, then hands the records to sink in order.
// kForeign: wrong magic; kUnsupportedVersion: another format version;
// kCorrupt: anything else, with the offset (of the record) and reason.
Result<void, StoreError> decode(Bytes data, DecodeSink& sink);
// The same for a store loading itself: true, or false with the error in e
// (filled in place: no Result built and copied on the way).
bool decode_into(Bytes data, DecodeSink& sink, StoreError& e);
Result<BondFile, StoreError> decode(Bytes data);

}  // namespace sable::store

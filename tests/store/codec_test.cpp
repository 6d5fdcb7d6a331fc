#include "store/codec.hpp"

#include <gtest/gtest.h>

#include <string>

#include "store_test_util.hpp"

namespace sable::store {
namespace {

using namespace sable::store::testing;

std::vector<uint8_t> encoded(const BondFile& f) {
  auto r = encode(f);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? r.value() : std::vector<uint8_t>{};
}

// Rewrites the CRC so that a deliberately wrong field reaches the field checks.
void fix_crc(std::vector<uint8_t>& data) {
  put_le32(&data[data.size() - 4], crc32(Bytes(data.data(), data.size() - 4)));
}

// Offset of the first bond record's payload in an encoding of sample_file().
constexpr size_t kFirstBondPayload = kHeaderSize + 2 + (3 + 16) + 3;

TEST(Crc32Test, MatchesTheStandardCheckValue) {
  const std::string s = "123456789";
  Bytes b(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  EXPECT_EQ(crc32(b), 0xCBF43926u);
  EXPECT_EQ(crc32(b.subspan(4), crc32(b.first(4))), 0xCBF43926u);
  EXPECT_EQ(crc32(Bytes()), 0u);
}

TEST(CodecTest, RoundTripsEveryField) {
  const BondFile f = sample_file();
  auto bytes = encoded(f);
  EXPECT_EQ(bytes.size(), encoded_size(f));
  auto back = decode(bytes);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, f);
  // Each optional absent, too.
  BondFile sparse;
  Bond b;
  b.peer_identity = static_random_address(7);
  sparse.bonds.push_back(b);
  auto back2 = decode(encoded(sparse));
  ASSERT_TRUE(back2.ok()) << back2.error().to_string();
  EXPECT_EQ(*back2, sparse);
  EXPECT_FALSE(back2->local_identity);
  auto empty = decode(encoded(BondFile{}));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, BondFile{});
}

TEST(CodecTest, LayoutIsLittleEndianAndVersioned) {
  BondFile f;
  f.local_identity = LocalIdentity{key_of(0)};
  Bond b;
  b.peer_identity = public_address(0xAB);
  b.ltk = LongTermKey{key_of(1), 0, 0, 16, true, true};
  b.cccds = {{0x0102, 1}};
  b.last_used = 0x0807060504030201ull;
  f.bonds = {b};
  auto d = encoded(f);

  std::vector<uint8_t> expect = {'S', 'A', 'B', 'L', 'E', 'B', 'N', 'D', 0x01, 0x00, 0x00, 0x00};
  uint32_t body = uint32_t(d.size() - 20);
  expect.insert(expect.end(), {uint8_t(body), uint8_t(body >> 8), 0, 0});
  expect.insert(expect.end(), {0x02, 0x00});        // two records
  expect.insert(expect.end(), {0x01, 0x10, 0x00});  // local identity, 16 bytes
  auto irk = key_of(0);
  expect.insert(expect.end(), irk.begin(), irk.end());
  expect.insert(expect.end(), {0x02, 1 + 6 + 8 + 1 + 28 + 2 + 4, 0x00});  // bond
  expect.insert(expect.end(), {0x00, 0xAB, 0x11, 0x22, 0x33, 0x44, 0x55});
  expect.insert(expect.end(), {1, 2, 3, 4, 5, 6, 7, 8});  // last_used
  expect.push_back(0x02);                                 // LTK only
  auto k = key_of(1);
  expect.insert(expect.end(), k.begin(), k.end());
  expect.insert(expect.end(), {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0x03});
  expect.insert(expect.end(), {0x01, 0x00, 0x02, 0x01, 0x01, 0x00});  // one CCCD
  uint32_t crc = crc32(expect);
  expect.insert(expect.end(),
                {uint8_t(crc), uint8_t(crc >> 8), uint8_t(crc >> 16), uint8_t(crc >> 24)});
  EXPECT_EQ(d, expect);
}

TEST(CodecTest, EveryTruncationIsCorrupt) {
  auto full = encoded(sample_file());
  for (size_t len = 0; len < full.size(); ++len) {
    auto r = decode(Bytes(full.data(), len));
    ASSERT_FALSE(r.ok()) << "length " << len;
    EXPECT_EQ(r.error().kind, StoreErrorKind::kCorrupt) << "length " << len;
    EXPECT_STRNE(r.error().reason, "");
  }
}

TEST(CodecTest, EverySingleBitFlipIsDetected) {
  auto full = encoded(sample_file());
  for (size_t pos = 0; pos < full.size(); ++pos) {
    for (int bit = 0; bit < 8; ++bit) {
      auto d = full;
      d[pos] ^= uint8_t(1 << bit);
      auto r = decode(d);
      ASSERT_FALSE(r.ok()) << "byte " << pos << " bit " << bit;
      if (pos < 8) {
        EXPECT_EQ(r.error().kind, StoreErrorKind::kForeign);
      } else if (pos < 10) {
        EXPECT_EQ(r.error().kind, StoreErrorKind::kUnsupportedVersion);
      } else {
        EXPECT_EQ(r.error().kind, StoreErrorKind::kCorrupt) << "byte " << pos;
      }
    }
  }
}

TEST(CodecTest, ForeignAndFutureFilesAreNamed) {
  auto d = encoded(sample_file());
  d[0] = 'X';
  auto r = decode(d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kForeign);
  const std::string text = "[General]\nName=x\n";
  r = decode(Bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kForeign);

  d = encoded(sample_file());
  d[8] = 2;
  fix_crc(d);
  r = decode(d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kUnsupportedVersion);
  EXPECT_STREQ(r.error().reason, "another format version");
  EXPECT_EQ(r.error().offset, size_t(8));
}

TEST(CodecTest, CrcMismatchSaysWhere) {
  auto d = encoded(sample_file());
  d[40] ^= 0x01;
  auto r = decode(d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kCorrupt);
  EXPECT_STREQ(r.error().reason, "CRC mismatch");
  EXPECT_EQ(r.error().offset, d.size() - 4);
}

struct FieldCase {
  const char* name;
  size_t offset;  // within the first bond's payload
  uint8_t value;
  const char* reason;
};

TEST(CodecTest, ValidatesEveryFieldWithAPreciseReason) {
  // Payload layout of full_bond(1): type 0, address 1..6, last_used 7..14,
  // present 15, IRK 16..31, LTK 32..59 (size at 58, props at 59),
  // peer LTK 60..87 (size 86), CSRK 88..103, count 104..105, CCCDs 106...
  const FieldCase cases[] = {
      {"address type", 0, 2, "address type not 0 or 1"},
      {"random not static", 6, 0x45, "peer identity not public or static"},
      {"unknown key flag", 15, 0x1F, "unknown key flags"},
      {"LTK key size low", 58, 6, "LTK key size not 7..16"},
      {"LTK key size high", 58, 17, "LTK key size not 7..16"},
      {"peer LTK key size", 86, 0, "peer LTK key size not 7..16"},
      {"unknown LTK property", 59, 0x05, "unknown LTK property bits"},
      {"CCCD count", 104, 4, "bad CCCD count"},
      {"CCCD handle 0", 106, 0, "CCCD handle 0"},
      {"CCCD value", 108, 4, "CCCD value not 1, 2 or 3"},
  };
  const BondFile f = sample_file();
  for (const auto& c : cases) {
    auto d = encoded(f);
    if (c.offset == 106) d[kFirstBondPayload + 107] = 0;  // handle 0x0003 -> 0x0000
    d[kFirstBondPayload + c.offset] = c.value;
    fix_crc(d);
    auto r = decode(d);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().kind, StoreErrorKind::kCorrupt) << c.name;
    EXPECT_STREQ(r.error().reason, c.reason) << c.name;
    EXPECT_EQ(r.error().offset, kFirstBondPayload - 3) << c.name;
  }
}

TEST(CodecTest, RejectsStructuralDamage) {
  const BondFile f = sample_file();
  auto expect_corrupt = [](std::vector<uint8_t> d, const char* reason) {
    fix_crc(d);
    auto r = decode(d);
    ASSERT_FALSE(r.ok()) << reason;
    EXPECT_EQ(r.error().kind, StoreErrorKind::kCorrupt);
    EXPECT_STREQ(r.error().reason, reason);
  };
  auto d = encoded(f);
  d[kHeaderSize + 2] = 0x07;  // first record's tag
  expect_corrupt(d, "unknown record tag");
  d = encoded(f);
  d[kHeaderSize + 4] = 0xFF;  // first record's length, high octet
  expect_corrupt(d, "record length exceeds the body");
  d = encoded(f);
  d[kHeaderSize] = 5;  // more records than present
  expect_corrupt(d, "record header truncated");
  d = encoded(f);
  d[kHeaderSize] = 3;  // fewer records than present
  expect_corrupt(d, "bytes after the last record");
  d = encoded(f);
  d[10] = 1;  // header flags
  expect_corrupt(d, "unknown header flags");
  d = encoded(f);
  for (size_t i = 0; i < 16; ++i) d[kHeaderSize + 5 + i] = 0;  // local IRK
  expect_corrupt(d, "local IRK all zeros");

  // Duplicate bond: the same identity twice.
  BondFile dup = f;
  dup.bonds[1].peer_identity = dup.bonds[0].peer_identity;
  EXPECT_EQ(encode(dup).error().kind, StoreErrorKind::kInvalidArgument);
  BondFile twin = f;
  twin.bonds[1] = twin.bonds[0];
  twin.bonds[1].peer_identity.bytes[0] ^= 0x02;  // full_bond(1) vs (3): same shape
  d = encoded(twin);
  d[kFirstBondPayload + 1] ^= 0x02;  // make the first equal the second
  expect_corrupt(d, "bond appears twice");

  // A Secure Connections key with EDIV/Rand is not one the stack produced.
  BondFile sc;
  sc.bonds = {sc_bond(1)};
  d = encoded(sc);
  d[kHeaderSize + 2 + 3 + 16 + 16 + 16] = 0x01;  // LTK EDIV low octet
  expect_corrupt(d, "LTK: LE SC key with EDIV/Rand");
}

TEST(CodecTest, EncodeRefusesWhatCannotBeReadBack) {
  BondFile f;
  Bond b = sc_bond(1);
  b.ltk->key_size = 5;
  f.bonds = {b};
  auto r = encode(f);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, StoreErrorKind::kInvalidArgument);
  f.bonds[0] = sc_bond(1);
  f.bonds[0].peer_identity.type = AddressType::kPublicIdentity;
  EXPECT_FALSE(encode(f).ok());
  f.bonds[0] = sc_bond(1);
  std::vector<uint8_t> small(encoded_size(f) - 1);
  auto s = encode(f, small);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, StoreErrorKind::kFull);
}

}  // namespace
}  // namespace sable::store

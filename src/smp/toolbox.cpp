// SMP crypto toolbox (Core 5.4 Vol 3 Part H 2.2). Parameters arrive in wire
// order (least significant octet first); the specification defines every
// function on most-significant-first octet strings fed to AES-128 / AES-CMAC,
// so each function reverses its fields into such a string, computes, and
// reverses the result back.
#include "smp/toolbox.hpp"

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <span>

#include "common/bytes.hpp"

namespace sable::smp {
namespace {

using crypto::Block;

// Reverses a 128-bit value between wire order and the spec's MSB-first order.
Block reversed(const std::array<uint8_t, 16>& in) {
  Block out;
  for (size_t i = 0; i < 16; ++i) out[i] = in[15 - i];
  return out;
}

// AES-CMAC (2.2.5) with a wire-order key over the spec-order (MSB-first)
// message made of wire-order (LSB-first) fields: concatenation A || B puts A
// first, each field written most significant octet first. Result in wire
// order. Every CMAC-based function uses it; temporaries are wiped.
Key cmac(const Key& key_wire, std::initializer_list<Bytes> fields) {
  std::array<uint8_t, 80> message;  // g2, the longest (2.2.9)
  size_t size = 0;
  for (Bytes field : fields) {
    if (field.size() > message.size() - size) __builtin_trap();  // sizes are fixed
    for (size_t i = field.size(); i-- > 0;) message[size++] = field[i];
  }
  Block key = reversed(key_wire);
  Block mac = crypto::aes_cmac(key, Bytes(message.data(), size));
  Key out = reversed(mac);
  crypto::secure_wipe(message);
  crypto::secure_wipe(key);
  crypto::secure_wipe(mac);
  return out;
}

// A1/A2 of f5/f6 (2.2.7) as a wire-order field: the 48-bit address, then
// the address type octet (so that the spec-order message has type || address).
std::array<uint8_t, 7> address_field(const Address& a) {
  std::array<uint8_t, 7> field;
  std::copy(a.bytes.begin(), a.bytes.end(), field.begin());
  field[6] = address_type_octet(a);
  return field;
}

// Security function e (2.2.1) with key, plaintext and result in wire order.
Key e(const Key& key_wire, const Key& plaintext_wire) {
  Block key = reversed(key_wire);
  Block plaintext = reversed(plaintext_wire);
  Block out = crypto::aes128(key, plaintext);
  Key result = reversed(out);
  crypto::secure_wipe(key);
  crypto::secure_wipe(plaintext);
  crypto::secure_wipe(out);
  return result;
}

void xor_into(Key& a, const Key& b) {
  for (size_t i = 0; i < a.size(); ++i) a[i] ^= b[i];
}

}  // namespace

Key c1(const Key& k, const Random& r, const PairingPdu& preq, const PairingPdu& pres,
       const Address& ia, const Address& ra) {
  // 2.2.3: p1 = pres || preq || rat' || iat' (rat', iat' = type in bit 0),
  // here in wire order: iat' first.
  Key p1{};
  p1[0] = address_type_octet(ia);
  p1[1] = address_type_octet(ra);
  std::copy(preq.begin(), preq.end(), p1.begin() + 2);
  std::copy(pres.begin(), pres.end(), p1.begin() + 9);
  // p2 = padding (32 zero bits) || ia || ra; in wire order ra first.
  Key p2{};
  std::copy(ra.bytes.begin(), ra.bytes.end(), p2.begin());
  std::copy(ia.bytes.begin(), ia.bytes.end(), p2.begin() + 6);
  Key x = r;
  xor_into(x, p1);
  Key y = e(k, x);
  xor_into(y, p2);
  Key out = e(k, y);
  crypto::secure_wipe(x);
  crypto::secure_wipe(y);
  return out;
}

Key s1(const Key& k, const Random& r1, const Random& r2) {
  // 2.2.4: r' = r1' || r2', the least significant 64 bits of each; in wire
  // order those are the first eight octets, and r2' comes first.
  Key r{};
  std::copy_n(r2.begin(), 8, r.begin());
  std::copy_n(r1.begin(), 8, r.begin() + 8);
  Key out = e(k, r);
  crypto::secure_wipe(r);
  return out;
}

AddressHash ah(const Key& irk, const PRand& prand) {
  // 2.2.2: r' = padding (104 zero bits) || r; ah = e(k, r') mod 2^24: in
  // wire order, prand and the hash are the first three octets.
  Key r{};
  std::copy(prand.begin(), prand.end(), r.begin());
  const Key h = e(irk, r);
  return AddressHash{h[0], h[1], h[2]};
}

bool rpa_matches_irk(const Key& irk, const std::array<uint8_t, 6>& rpa) {
  // Core 5.4 Vol 6 Part B 1.3.2.2/1.3.2.3: hash = bits 0..23, prand = bits 24..47.
  PRand prand{rpa[3], rpa[4], rpa[5]};
  AddressHash hash{rpa[0], rpa[1], rpa[2]};
  return ah(irk, prand) == hash;
}

Key f4(const Coordinate& u, const Coordinate& v, const Random& x, uint8_t z) {
  // 2.2.6: AES-CMAC_X(U || V || Z), 65 octets.
  return cmac(x, {u, v, Bytes(&z, 1)});
}

F5Keys f5(const DhKey& w, const Random& n1, const Random& n2, const Address& a1,
          const Address& a2) {
  // 2.2.7: SALT = 0x6C888391_AAF5A538_60370BDB_5A6083BE, here in wire order.
  static constexpr Key kSalt = {0xbe, 0x83, 0x60, 0x5a, 0xdb, 0x0b, 0x37, 0x60,
                                0x38, 0xa5, 0xf5, 0xaa, 0x91, 0x83, 0x88, 0x6c};
  // Length = 256, in wire order.
  static constexpr std::array<uint8_t, 2> kLength = {0x00, 0x01};
  // T = AES-CMAC_SALT(W), kept in wire order to key the next two.
  Key t = cmac(kSalt, {w});
  // Counter || keyID ('btle' = 0x62746c65) || N1 || N2 || A1 || A2 || Length;
  // Counter || keyID in wire order: keyID's octets, then Counter.
  std::array<uint8_t, 5> counter_key_id = {0x65, 0x6c, 0x74, 0x62, 0x00};
  const auto f1 = address_field(a1);
  const auto f2 = address_field(a2);
  F5Keys keys;
  Key* out[] = {&keys.mac_key, &keys.ltk};  // MacKey: Counter 0; LTK: Counter 1
  for (uint8_t counter = 0; counter < 2; ++counter) {
    counter_key_id[4] = counter;
    *out[counter] = cmac(t, {counter_key_id, n1, n2, f1, f2, kLength});
  }
  crypto::secure_wipe(t);
  return keys;
}

Key f6(const Key& w, const Random& n1, const Random& n2, const Key& r, const IoCapOctets& io_cap,
       const Address& a1, const Address& a2) {
  // 2.2.8: AES-CMAC_W(N1 || N2 || R || IOcap || A1 || A2), 65 octets. IOcap
  // in spec order is AuthReq || OOB || IO capability: the PDU octets reversed.
  return cmac(w, {n1, n2, r, io_cap, address_field(a1), address_field(a2)});
}

uint32_t g2(const Coordinate& u, const Coordinate& v, const Random& x, const Random& y) {
  // 2.2.9: AES-CMAC_X(U || V || Y) mod 2^32, 80 octets: the first four
  // octets of the wire-order result.
  Key mac = cmac(x, {u, v, y});
  const uint32_t value = get_le32(mac.data());
  crypto::secure_wipe(mac);
  // 2.3.5.6.2: the six-digit value displayed is g2 mod 10^6.
  return value % 1000000u;
}

Key h6(const Key& w, uint32_t key_id) {
  // 2.2.10: AES-CMAC_W(keyID), keyID as 32 bits, most significant first.
  std::array<uint8_t, 4> id{};
  put_le32(id.data(), key_id);
  return cmac(w, {id});
}

Key h7(const Key& salt, const Key& w) {
  // 2.2.11: AES-CMAC_SALT(W).
  return cmac(salt, {w});
}

}  // namespace sable::smp

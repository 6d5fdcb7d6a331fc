// SMP crypto toolbox (Core 5.4 Vol 3 Part H 2.2). Parameters arrive in wire
// order (least significant octet first); the specification defines every
// function on most-significant-first octet strings fed to AES-128 / AES-CMAC,
// so each function reverses its fields into such a string, computes, and
// reverses the result back.
#include "smp/toolbox.hpp"

#include <algorithm>
#include <cstddef>
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

// Builds a spec-order (MSB-first) message in a fixed buffer from wire-order
// fields. Concatenation A || B puts A first (most significant). Wiped on exit.
class SpecMessage {
 public:
  SpecMessage() = default;
  SpecMessage(const SpecMessage&) = delete;
  SpecMessage& operator=(const SpecMessage&) = delete;
  ~SpecMessage() { crypto::secure_wipe(buf_); }

  // A wire-order (LSB-first) field, written most significant octet first.
  SpecMessage& wire(Bytes field) {
    if (field.size() > buf_.size() - pos_) __builtin_trap();  // sizes are fixed
    for (size_t i = field.size(); i-- > 0;) buf_[pos_++] = field[i];
    return *this;
  }
  SpecMessage& octet(uint8_t v) { return wire(Bytes(&v, 1)); }
  // A1/A2 of f5/f6: the 56-bit address type octet || 48-bit address (2.2.7).
  SpecMessage& address(const Address& a) { return octet(address_type_octet(a)).wire(a.bytes); }
  // The finished message; trapping if a function forgot a field.
  Bytes done(size_t size) const {
    if (pos_ != size) __builtin_trap();
    return Bytes(buf_.data(), pos_);
  }

 private:
  std::array<uint8_t, 80> buf_{};  // g2, the longest (2.2.9)
  size_t pos_ = 0;
};

// AES-CMAC (2.2.5) with a wire-order key over a spec-order message of
// `size` octets; result in wire order. Every CMAC-based function uses it.
Key cmac(const Key& key_wire, const SpecMessage& message, size_t size) {
  Block key = reversed(key_wire);
  Block mac = crypto::aes_cmac(key, message.done(size));
  Key out = reversed(mac);
  crypto::secure_wipe(key);
  crypto::secure_wipe(mac);
  return out;
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
  SpecMessage m;
  m.wire(u).wire(v).octet(z);
  return cmac(x, m, 65);
}

F5Keys f5(const DhKey& w, const Random& n1, const Random& n2, const Address& a1,
          const Address& a2) {
  // 2.2.7: SALT = 0x6C888391_AAF5A538_60370BDB_5A6083BE, here in wire order.
  static constexpr Key kSalt = {0xbe, 0x83, 0x60, 0x5a, 0xdb, 0x0b, 0x37, 0x60,
                                0x38, 0xa5, 0xf5, 0xaa, 0x91, 0x83, 0x88, 0x6c};
  // T = AES-CMAC_SALT(W), kept in wire order to key the next two.
  SpecMessage dhkey;
  dhkey.wire(w);
  Key t = cmac(kSalt, dhkey, 32);
  // Counter || keyID ('btle') || N1 || N2 || A1 || A2 || Length (256).
  F5Keys keys;
  Key* out[] = {&keys.mac_key, &keys.ltk};  // MacKey: Counter 0; LTK: Counter 1
  for (uint8_t counter = 0; counter < 2; ++counter) {
    SpecMessage m;
    m.octet(counter).octet(0x62).octet(0x74).octet(0x6c).octet(0x65);
    m.wire(n1).wire(n2).address(a1).address(a2).octet(0x01).octet(0x00);
    *out[counter] = cmac(t, m, 53);
  }
  crypto::secure_wipe(t);
  return keys;
}

Key f6(const Key& w, const Random& n1, const Random& n2, const Key& r, const IoCapOctets& io_cap,
       const Address& a1, const Address& a2) {
  // 2.2.8: AES-CMAC_W(N1 || N2 || R || IOcap || A1 || A2), 65 octets. IOcap
  // in spec order is AuthReq || OOB || IO capability: the PDU octets reversed.
  SpecMessage m;
  m.wire(n1).wire(n2).wire(r).wire(io_cap).address(a1).address(a2);
  return cmac(w, m, 65);
}

uint32_t g2(const Coordinate& u, const Coordinate& v, const Random& x, const Random& y) {
  // 2.2.9: AES-CMAC_X(U || V || Y) mod 2^32, 80 octets: the first four
  // octets of the wire-order result.
  SpecMessage m;
  m.wire(u).wire(v).wire(y);
  Key mac = cmac(x, m, 80);
  const uint32_t value = get_le32(mac.data());
  crypto::secure_wipe(mac);
  // 2.3.5.6.2: the six-digit value displayed is g2 mod 10^6.
  return value % 1000000u;
}

Key h6(const Key& w, uint32_t key_id) {
  // 2.2.10: AES-CMAC_W(keyID), keyID as 32 bits, most significant first.
  std::array<uint8_t, 4> id{};
  put_le32(id.data(), key_id);
  SpecMessage m;
  m.wire(id);
  return cmac(w, m, 4);
}

Key h7(const Key& salt, const Key& w) {
  // 2.2.11: AES-CMAC_SALT(W).
  SpecMessage m;
  m.wire(w);
  return cmac(salt, m, 16);
}

}  // namespace sable::smp

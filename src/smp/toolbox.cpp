// SMP crypto toolbox (Core 5.4 Vol 3 Part H 2.2). Parameters arrive in wire
// order (least significant octet first); the specification defines every
// function on most-significant-first octet strings fed to AES-128 / AES-CMAC,
// so each function reverses its fields into such a string, computes, and
// reverses the result back.
#include "smp/toolbox.hpp"

#include <cstddef>
#include <span>

namespace sable::smp {
namespace {

using crypto::Block;

// Reverses a wire-order 128-bit value into the spec's MSB-first order (and back).
Block reversed(const std::array<uint8_t, 16>& in) {
  Block out;
  for (size_t i = 0; i < 16; ++i) out[i] = in[15 - i];
  return out;
}

// Builds a spec-order (MSB-first) message in a fixed buffer from wire-order
// fields. Concatenation A || B puts A first (most significant). Wiped on exit.
template <size_t N>
class SpecMessage {
 public:
  SpecMessage() = default;
  SpecMessage(const SpecMessage&) = delete;
  SpecMessage& operator=(const SpecMessage&) = delete;
  ~SpecMessage() { crypto::secure_wipe(buf_); }

  // A wire-order (LSB-first) field, written most significant octet first.
  SpecMessage& wire(std::span<const uint8_t> field) {
    if (field.size() > N - pos_) __builtin_trap();  // sizes are fixed at compile time
    for (size_t i = field.size(); i-- > 0;) buf_[pos_++] = field[i];
    return *this;
  }
  SpecMessage& octet(uint8_t v) {
    if (pos_ == N) __builtin_trap();
    buf_[pos_++] = v;
    return *this;
  }
  SpecMessage& zeros(size_t n) {
    for (size_t i = 0; i < n; ++i) octet(0);
    return *this;
  }
  // The finished message; trapping if a function forgot a field.
  const std::array<uint8_t, N>& done() const {
    if (pos_ != N) __builtin_trap();
    return buf_;
  }

 private:
  std::array<uint8_t, N> buf_{};
  size_t pos_ = 0;
};

// A1/A2 of f5/f6: the 56-bit address type octet || 48-bit address (2.2.7).
template <size_t N>
void append_address(SpecMessage<N>& m, const Address& a) {
  m.octet(address_type_octet(a)).wire(a.bytes);
}

// AES-CMAC with a wire-order key over a spec-order message; result in wire order.
Key cmac_wire_key(const Key& key_wire, Bytes message) {
  Block key = reversed(key_wire);
  Block mac = crypto::aes_cmac(key, message);
  Key out = reversed(mac);
  crypto::secure_wipe(key);
  crypto::secure_wipe(mac);
  return out;
}

// Security function e (2.2.1) with a wire-order key on a spec-order block.
Block e(const Key& key_wire, const Block& plaintext) {
  Block key = reversed(key_wire);
  Block out = crypto::aes128(key, plaintext);
  crypto::secure_wipe(key);
  return out;
}

}  // namespace

Key c1(const Key& k, const Random& r, const PairingPdu& preq, const PairingPdu& pres,
       const Address& ia, const Address& ra) {
  // 2.2.3: p1 = pres || preq || rat' || iat' (rat', iat' = type in bit 0).
  SpecMessage<16> p1;
  p1.wire(pres).wire(preq).octet(address_type_octet(ra)).octet(address_type_octet(ia));
  // p2 = padding (32 zero bits) || ia || ra.
  SpecMessage<16> p2;
  p2.zeros(4).wire(ia.bytes).wire(ra.bytes);

  Block x = reversed(r);
  for (size_t i = 0; i < 16; ++i) x[i] ^= p1.done()[i];
  Block y = e(k, x);
  for (size_t i = 0; i < 16; ++i) y[i] ^= p2.done()[i];
  Block c = e(k, y);
  Key out = reversed(c);
  crypto::secure_wipe(x);
  crypto::secure_wipe(y);
  return out;
}

Key s1(const Key& k, const Random& r1, const Random& r2) {
  // 2.2.4: r' = r1' || r2', the least significant 64 bits of each; in wire
  // order those are the first eight octets.
  SpecMessage<16> r;
  r.wire(std::span(r1).first<8>()).wire(std::span(r2).first<8>());
  Block plaintext = r.done();
  Block stk = e(k, plaintext);
  Key out = reversed(stk);
  crypto::secure_wipe(plaintext);
  crypto::secure_wipe(stk);
  return out;
}

AddressHash ah(const Key& irk, const PRand& prand) {
  // 2.2.2: r' = padding (104 zero bits) || r; ah = e(k, r') mod 2^24.
  SpecMessage<16> r;
  r.zeros(13).wire(prand);
  Block plaintext = r.done();
  Block h = e(irk, plaintext);
  // The least significant 24 bits are the last three spec-order octets.
  return AddressHash{h[15], h[14], h[13]};
}

bool rpa_matches_irk(const Key& irk, const std::array<uint8_t, 6>& rpa) {
  // Core 5.4 Vol 6 Part B 1.3.2.2/1.3.2.3: hash = bits 0..23, prand = bits 24..47.
  PRand prand{rpa[3], rpa[4], rpa[5]};
  AddressHash hash{rpa[0], rpa[1], rpa[2]};
  return ah(irk, prand) == hash;
}

Key f4(const Coordinate& u, const Coordinate& v, const Random& x, uint8_t z) {
  // 2.2.6: AES-CMAC_X(U || V || Z), 65 octets.
  SpecMessage<65> m;
  m.wire(u).wire(v).octet(z);
  return cmac_wire_key(x, m.done());
}

F5Keys f5(const DhKey& w, const Random& n1, const Random& n2, const Address& a1,
          const Address& a2) {
  // 2.2.7: SALT = 0x6C888391_AAF5A538_60370BDB_5A6083BE (spec order).
  static constexpr Block kSalt = {0x6c, 0x88, 0x83, 0x91, 0xaa, 0xf5, 0xa5, 0x38,
                                  0x60, 0x37, 0x0b, 0xdb, 0x5a, 0x60, 0x83, 0xbe};
  // T = AES-CMAC_SALT(W).
  SpecMessage<32> dhkey;
  dhkey.wire(w);
  Block t = crypto::aes_cmac(kSalt, dhkey.done());

  // Counter || keyID ('btle') || N1 || N2 || A1 || A2 || Length (256).
  auto keyed = [&](uint8_t counter) {
    SpecMessage<53> m;
    m.octet(counter).octet(0x62).octet(0x74).octet(0x6c).octet(0x65);
    m.wire(n1).wire(n2);
    append_address(m, a1);
    append_address(m, a2);
    m.octet(0x01).octet(0x00);
    Block mac = crypto::aes_cmac(t, m.done());
    Key out = reversed(mac);
    crypto::secure_wipe(mac);
    return out;
  };
  F5Keys keys{keyed(0), keyed(1)};  // MacKey: Counter 0; LTK: Counter 1
  crypto::secure_wipe(t);
  return keys;
}

Key f6(const Key& w, const Random& n1, const Random& n2, const Key& r, const IoCapOctets& io_cap,
       const Address& a1, const Address& a2) {
  // 2.2.8: AES-CMAC_W(N1 || N2 || R || IOcap || A1 || A2), 65 octets. IOcap
  // in spec order is AuthReq || OOB || IO capability: the PDU octets reversed.
  SpecMessage<65> m;
  m.wire(n1).wire(n2).wire(r).wire(io_cap);
  append_address(m, a1);
  append_address(m, a2);
  return cmac_wire_key(w, m.done());
}

uint32_t g2(const Coordinate& u, const Coordinate& v, const Random& x, const Random& y) {
  // 2.2.9: AES-CMAC_X(U || V || Y) mod 2^32, 80 octets.
  SpecMessage<80> m;
  m.wire(u).wire(v).wire(y);
  Block key = reversed(x);
  Block mac = crypto::aes_cmac(key, m.done());
  // The least significant 32 bits are the last four spec-order octets.
  uint32_t value = (uint32_t(mac[12]) << 24) | (uint32_t(mac[13]) << 16) |
                   (uint32_t(mac[14]) << 8) | uint32_t(mac[15]);
  crypto::secure_wipe(key);
  crypto::secure_wipe(mac);
  // 2.3.5.6.2: the six-digit value displayed is g2 mod 10^6.
  return value % 1000000u;
}

Key h6(const Key& w, uint32_t key_id) {
  // 2.2.10: AES-CMAC_W(keyID), keyID as 32 bits, most significant first.
  const std::array<uint8_t, 4> id = {uint8_t(key_id >> 24), uint8_t(key_id >> 16),
                                     uint8_t(key_id >> 8), uint8_t(key_id)};
  return cmac_wire_key(w, id);
}

Key h7(const Key& salt, const Key& w) {
  // 2.2.11: AES-CMAC_SALT(W).
  SpecMessage<16> m;
  m.wire(w);
  return cmac_wire_key(salt, m.done());
}

// Vol 3 Part H 2.3.5.6.1 debug key pair, least significant octet first.
const crypto::P256KeyPair kDebugKeyPair = {
    .private_key = {0xbd, 0x1a, 0x3c, 0xcd, 0xa6, 0xb8, 0x99, 0x58, 0x99, 0xb7, 0x40,
                    0xeb, 0x7b, 0x60, 0xff, 0x4a, 0x50, 0x3f, 0x10, 0xd2, 0xe3, 0xb3,
                    0xc9, 0x74, 0x38, 0x5f, 0xc5, 0xa3, 0xd4, 0xf6, 0x49, 0x3f},
    .public_key = {
        .x = {0xe6, 0x9d, 0x35, 0x0e, 0x48, 0x01, 0x03, 0xcc, 0xdb, 0xfd, 0xf4,
              0xac, 0x11, 0x91, 0xf4, 0xef, 0xb9, 0xa5, 0xf9, 0xe9, 0xa7, 0x83,
              0x2c, 0x5e, 0x2c, 0xbe, 0x97, 0xf2, 0xd2, 0x03, 0xb0, 0x20},
        .y = {0x8b, 0xd2, 0x89, 0x15, 0xd0, 0x8e, 0x1c, 0x74, 0x24, 0x30, 0xed,
              0x8f, 0xc2, 0x45, 0x63, 0x76, 0x5c, 0x15, 0x52, 0x5a, 0xbf, 0x9a,
              0x32, 0x63, 0x6d, 0xeb, 0x2a, 0x65, 0x49, 0x9c, 0x80, 0xdc},
    }};

}  // namespace sable::smp

// The SMP cryptographic toolbox (Core 5.4 Vol 3 Part H 2.2): the legacy
// functions c1 and s1, the address hash ah, and the LE Secure Connections
// functions f4 f5 f6 g2 h6 h7.
//
// Byte order: EVERY parameter and result here is in WIRE order, least
// significant octet first, exactly as the value appears in SMP PDUs and HCI
// commands/events: a Pairing Random value as received, a Pairing Public Key
// X coordinate as received, an LTK as given to HCI_LE_Enable_Encryption, a
// BD_ADDR as sable::Address::bytes. The toolbox converts internally to the
// most-significant-first order in which the specification feeds AES-128 and
// AES-CMAC (Vol 3 Part H 2.2.1, 2.2.5). No heap; secret temporaries are wiped.
#pragma once

#include <array>
#include <cstdint>

#include "crypto/crypto.hpp"
#include "sable/address.hpp"

namespace sable::smp {

using Key = std::array<uint8_t, 16>;         // 128-bit key/value (TK, STK, LTK, IRK, MacKey, ...)
using Random = std::array<uint8_t, 16>;      // 128-bit nonce (Mrand/Srand, Na/Nb, ra/rb)
using Coordinate = std::array<uint8_t, 32>;  // P-256 X coordinate (PKax, PKbx)
using DhKey = crypto::DhKey;                 // 256-bit DHKey
using PairingPdu = std::array<uint8_t, 7>;   // Pairing Request/Response incl. opcode, as sent
using IoCapOctets = std::array<uint8_t, 3>;  // IO Capability, OOB data flag, AuthReq (PDU order)
using AddressHash = std::array<uint8_t, 3>;  // 24-bit hash part of an RPA
using PRand = std::array<uint8_t, 3>;        // 24-bit prand part of an RPA

// Address type octet used by c1 (iat/rat) and f5/f6 (A1/A2): 0x00 public,
// 0x01 random (Core 5.4 Vol 3 Part H 2.2.3, 2.2.7). Identity types reported by
// the controller (0x02/0x03) map to their public/random base type.
inline uint8_t address_type_octet(const Address& a) {
  return a.is_random() ? 0x01 : 0x00;
}

// Legacy confirm value (Vol 3 Part H 2.2.3):
// c1(k, r, preq, pres, iat, rat, ia, ra) = e(k, e(k, r XOR p1) XOR p2),
// p1 = pres || preq || rat' || iat', p2 = padding || ia || ra.
// k = TK, r = Mrand or Srand, ia/ra = initiating/responding device address
// (their types give iat/rat).
Key c1(const Key& k, const Random& r, const PairingPdu& preq, const PairingPdu& pres,
       const Address& ia, const Address& ra);

// Legacy STK generation (Vol 3 Part H 2.2.4): s1(k, r1, r2) = e(k, r1' || r2')
// with the least significant 64 bits of each. In pairing k = TK, r1 = Srand,
// r2 = Mrand.
Key s1(const Key& k, const Random& r1, const Random& r2);

// Random address hash (Vol 3 Part H 2.2.2): ah(k, r) = e(k, padding || r) mod 2^24.
AddressHash ah(const Key& irk, const PRand& prand);

// Whether a resolvable private address (its octets LSB first: hash in [0..2],
// prand in [3..5]) was generated from irk (Core 5.4 Vol 6 Part B 1.3.2.3).
bool rpa_matches_irk(const Key& irk, const std::array<uint8_t, 6>& rpa);

// LE SC confirm value (Vol 3 Part H 2.2.6): f4(U, V, X, Z) = AES-CMAC_X(U || V || Z).
// U/V = PKax/PKbx, X = the nonce, Z = 0 (Just Works, Numeric Comparison) or
// 0x80 | passkey bit (Passkey Entry).
Key f4(const Coordinate& u, const Coordinate& v, const Random& x, uint8_t z);

// LE SC key generation (Vol 3 Part H 2.2.7).
struct F5Keys {
  Key mac_key;
  Key ltk;
};
// w = DHKey, n1/n2 = Na/Nb, a1/a2 = initiating/responding device addresses.
F5Keys f5(const DhKey& w, const Random& n1, const Random& n2, const Address& a1, const Address& a2);

// LE SC check value Ea/Eb (Vol 3 Part H 2.2.8):
// f6(W, N1, N2, R, IOcap, A1, A2) = AES-CMAC_W(N1 || N2 || R || IOcap || A1 || A2).
// w = MacKey; io_cap = octets 1..3 of the Pairing Request (Ea) or Response
// (Eb) in PDU order, which is the wire form of the spec's AuthReq||OOB||IOcap.
Key f6(const Key& w, const Random& n1, const Random& n2, const Key& r, const IoCapOctets& io_cap,
       const Address& a1, const Address& a2);

// LE SC numeric comparison value (Vol 3 Part H 2.2.9):
// g2(U, V, X, Y) = AES-CMAC_X(U || V || Y) mod 2^32; returns the six-digit
// value shown to the user, g2 mod 10^6 (Vol 3 Part H 2.3.5.6.2).
uint32_t g2(const Coordinate& u, const Coordinate& v, const Random& x, const Random& y);

// Link key conversion (Vol 3 Part H 2.2.10): h6(W, keyID) = AES-CMAC_W(keyID).
// key_id is the 32-bit value as the spec writes it, e.g. 0x6c656272 ('lebr').
Key h6(const Key& w, uint32_t key_id);

// Link key conversion with salt (Vol 3 Part H 2.2.11): h7(SALT, W) = AES-CMAC_SALT(W).
Key h7(const Key& salt, const Key& w);

// The LE Secure Connections debug key pair (Vol 3 Part H 2.3.5.6.1), wire
// order. A production device must not use it; SMP recognises its public key
// in a peer (so only those 64 octets are in a firmware image).
inline constexpr crypto::P256PublicKey kDebugPublicKey = {
    .x = {0xe6, 0x9d, 0x35, 0x0e, 0x48, 0x01, 0x03, 0xcc, 0xdb, 0xfd, 0xf4,
          0xac, 0x11, 0x91, 0xf4, 0xef, 0xb9, 0xa5, 0xf9, 0xe9, 0xa7, 0x83,
          0x2c, 0x5e, 0x2c, 0xbe, 0x97, 0xf2, 0xd2, 0x03, 0xb0, 0x20},
    .y = {0x8b, 0xd2, 0x89, 0x15, 0xd0, 0x8e, 0x1c, 0x74, 0x24, 0x30, 0xed,
          0x8f, 0xc2, 0x45, 0x63, 0x76, 0x5c, 0x15, 0x52, 0x5a, 0xbf, 0x9a,
          0x32, 0x63, 0x6d, 0xeb, 0x2a, 0x65, 0x49, 0x9c, 0x80, 0xdc},
};
inline constexpr crypto::P256KeyPair kDebugKeyPair = {
    .private_key = {0xbd, 0x1a, 0x3c, 0xcd, 0xa6, 0xb8, 0x99, 0x58, 0x99, 0xb7, 0x40,
                    0xeb, 0x7b, 0x60, 0xff, 0x4a, 0x50, 0x3f, 0x10, 0xd2, 0xe3, 0xb3,
                    0xc9, 0x74, 0x38, 0x5f, 0xc5, 0xa3, 0xd4, 0xf6, 0x49, 0x3f},
    .public_key = kDebugPublicKey,
};

}  // namespace sable::smp

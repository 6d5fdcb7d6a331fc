// Encryption with the new key (Core 5.4 Vol 3 Part H 2.4.4) and phase 3, key
// distribution (2.4.3, 3.6): the responder's keys first, then the initiator's,
// each side's in the order of Figure 3.11.
#include <algorithm>

#include "smp/pairing_detail.hpp"

namespace sable::smp {
namespace {

using detail::kLeKeys;

}  // namespace

void Pairing::enter_encrypting(const Key& key) {
  enter<Encrypting>().key = key;
  if (we_are_initiator()) {
    // The central encrypts with the STK / LTK, EDIV = Rand = 0.
    encryption_key_.v = key;
    Event e;
    e.kind = Event::Kind::kStartEncryption;
    push(e);
  }
}

void Pairing::start_key_distribution(const Key& key) {
  const Negotiated& n = *neg_;
  // The response's fields are the negotiated ones (a subset of the request's;
  // octets 5 and 6, 3.5.2).
  uint8_t initiator_kd = n.pres[5] & kLeKeys;
  uint8_t responder_kd = n.pres[6] & kLeKeys;
  if (n.sc) {
    // 3.6.1: with Secure Connections the LTK is derived, never distributed.
    initiator_kd &= uint8_t(~key_dist::kEncKey);
    responder_kd &= uint8_t(~key_dist::kEncKey);
  }
  const uint8_t local_kd = we_are_initiator() ? initiator_kd : responder_kd;
  const uint8_t peer_kd = we_are_initiator() ? responder_kd : initiator_kd;

  KeyDistribution& kd = enter<KeyDistribution>();
  PairingResult& r = kd.result;
  r.method = n.method;
  r.secure_connections = n.sc;
  r.peer_used_debug_key = n.peer_debug_key;
  // With the debug key anybody can decrypt: neither authenticated nor bondable.
  r.authenticated = is_authenticated(n.method) && !n.peer_debug_key;
  r.bonded = n.bonding && !n.peer_debug_key;
  r.key_size = n.key_size;
  r.local_key_distribution = local_kd;
  r.peer_key_distribution = peer_kd;
  if (n.sc) r.ltk = LongTermKey{key, 0, 0, r.key_size, r.authenticated, true};
  // 3.6.1, Figure 3.11: the order of the keys of one side, which is opcode
  // order: Encryption Information and Central Identification (EncKey),
  // Identity Information and Identity Address Information (IdKey), Signing
  // Information (SignKey); `pending` has one bit per opcode from 0x06.
  if (peer_kd & key_dist::kEncKey) kd.pending |= 0b00011;
  if (peer_kd & key_dist::kIdKey) kd.pending |= 0b01100;
  if (peer_kd & key_dist::kSignKey) kd.pending |= 0b10000;

  // 2.4.3: the responder distributes first, then the initiator.
  if (!we_are_initiator()) send_local_keys(r);
  if (kd.pending == 0) {
    if (we_are_initiator()) send_local_keys(r);
    complete(r);
  }
}

void Pairing::send_local_keys(PairingResult& r) {
  const uint8_t kd = r.local_key_distribution;
  if (kd & key_dist::kEncKey) distribute_legacy_ltk(r);  // never with SC (3.6.1)
  if (kd & key_dist::kIdKey) {
    // A device without an IRK distributes zeros (no resolvable addresses).
    uint8_t* irk = queue(Opcode::kIdentityInformation);
    if (local_.irk) std::copy_n(local_.irk->data(), 16, irk);
    // 3.6.5: AddrType, then BD_ADDR.
    uint8_t* address = queue(Opcode::kIdentityAddressInformation);
    address[0] = address_type_octet(local_.identity_address);
    std::copy_n(local_.identity_address.bytes.data(), 6, address + 1);
    r.local_identity_distributed = true;
  }
  if (kd & key_dist::kSignKey) {
    Key& csrk = r.local_csrk.emplace();
    random_.fill(csrk);
    send(Opcode::kSigningInformation, csrk.data());
  }
}

void Pairing::on_pdu(KeyDistribution& k, const Pdu& pdu) {
  // Exactly the negotiated keys, in order (3.6.1); anything else fails.
  const Opcode op = pdu.opcode();
  const uint8_t next = k.pending & uint8_t(-k.pending);  // 0 when none is pending
  const unsigned bit = uint8_t(op) >= 0x06 ? 1u << (uint8_t(op) - 0x06) : 0;
  if (next == 0 || bit != next) return reject(SmpReason::kUnspecifiedReason);
  k.pending ^= next;
  PairingResult& r = k.result;
  switch (op) {
    case Opcode::kEncryptionInformation:
      r.peer_ltk =
          LongTermKey{pdu.value(), 0, 0, r.key_size, r.authenticated, r.secure_connections};
      break;
    case Opcode::kCentralIdentification:
      r.peer_ltk->ediv = pdu.ediv();  // always preceded by Encryption Information
      r.peer_ltk->rand = pdu.rand();
      break;
    case Opcode::kIdentityInformation:
      r.peer_irk = pdu.value();
      break;
    case Opcode::kIdentityAddressInformation:
      r.peer_identity_address = pdu.identity_address();
      break;
    default:  // kSigningInformation, the only other expected one
      r.peer_csrk = pdu.value();
      break;
  }
  if (k.pending != 0) return;
  if (we_are_initiator()) send_local_keys(r);
  complete(r);
}

}  // namespace sable::smp

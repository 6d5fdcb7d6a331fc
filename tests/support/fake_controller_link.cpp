// In-process fake LE controllers: commands that act on one connection
// (parameter updates, encryption, remote information, disconnection, data
// length). All spec references are Core 5.4, Vol 4 Part E unless stated
// otherwise.
#include "support/fake_controller.hpp"
#include "support/fake_internal.hpp"

namespace sable::testing {

using namespace fake;

bool FakeController::dispatch_link(uint16_t opcode, Bytes params) {
  ByteReader r(params);
  auto ok = [&] { command_complete(opcode, {kSuccess}); };
  auto fail = [&](uint8_t status) {
    respond_failure(opcode, status, params);
    return true;
  };
  auto link_of = [&](uint16_t h) { return air_.find_link(*this, h & 0x0FFF); };

  switch (opcode) {
    case op::kLeConnectionUpdate: {  // 7.8.18
      uint16_t h = r.le16();
      uint16_t min = r.le16(), max = r.le16(), latency = r.le16(), timeout = r.le16();
      FakeAir::Link* l = link_of(h);
      if (!l) return fail(kUnknownConnectionId);
      if (!valid_conn_params(min, max, latency, timeout)) return fail(kInvalidParameters);
      if (l->param_req_pending) return fail(kCommandDisallowed);
      command_status(opcode, kSuccess);
      air_.start_param_update(*l, *this, min, max, latency, timeout);
      return true;
    }
    case op::kLeRemoteConnectionParameterRequestReply:            // 7.8.31
    case op::kLeRemoteConnectionParameterRequestNegativeReply: {  // 7.8.32
      uint16_t h = r.le16();
      FakeAir::Link* l = link_of(h);
      if (!l) return fail(kUnknownConnectionId);
      bool i_am_central = l->central.controller == this;
      // Only the side that received the request may answer it.
      if (!l->param_req_pending || l->param_req_from_central == i_am_central)
        return fail(kCommandDisallowed);
      FakeController* initiator = air_.other_side(*l, *this).controller;
      if (opcode == op::kLeRemoteConnectionParameterRequestReply) {
        uint16_t min = r.le16(), max = r.le16(), latency = r.le16(), timeout = r.le16();
        if (!valid_conn_params(min, max, latency, timeout)) return fail(kInvalidParameters);
        command_complete(opcode, W().u8(kSuccess).le16(h).take());
        air_.apply_param_update(*l, initiator, kSuccess, min, latency, timeout);
      } else {
        uint8_t reason = r.u8();
        command_complete(opcode, W().u8(kSuccess).le16(h).take());
        air_.apply_param_update(*l, initiator, reason == 0 ? kUnsupportedRemoteFeature : reason, 0,
                                0, 0);
      }
      return true;
    }
    case op::kLeReadRemoteFeatures: {  // 7.8.21 -> 7.7.65.4
      uint16_t h = r.le16();
      FakeAir::Link* l = link_of(h);
      if (!l) return fail(kUnknownConnectionId);
      command_status(opcode, kSuccess);
      FakeAir::Side& peer = air_.other_side(*l, *this);
      send_le_event(kLeReadRemoteFeaturesComplete,
                    W().u8(kSuccess).le16(h).le64(peer.controller->le_features()).take());
      return true;
    }
    case op::kReadRemoteVersionInformation: {  // 7.1.23 -> 7.7.12
      uint16_t h = r.le16();
      if (!link_of(h)) return fail(kUnknownConnectionId);
      command_status(opcode, kSuccess);
      send_event(kEvtReadRemoteVersionComplete,
                 W().u8(kSuccess).le16(h).u8(0x0D).le16(0xFFFF).le16(0x0001).take());
      return true;
    }
    case op::kDisconnect: {  // 7.1.6
      uint16_t h = r.le16();
      uint8_t reason = r.u8();
      FakeAir::Link* l = link_of(h);
      if (!l) return fail(kUnknownConnectionId);
      if (!valid_disconnect_reason(reason)) return fail(kInvalidParameters);
      command_status(opcode, kSuccess);
      air_.disconnect(*l, kLocalHostTerminated, this, reason);
      return true;
    }
    case op::kLeEnableEncryption: {  // 7.8.24
      uint16_t h = r.le16();
      Bytes rand = r.take(8);
      uint16_t ediv = r.le16();
      Bytes ltk = r.take(16);
      FakeAir::Link* l = link_of(h);
      if (!l) return fail(kUnknownConnectionId);
      if (l->central.controller != this || l->enc_pending) return fail(kCommandDisallowed);
      command_status(opcode, kSuccess);
      l->enc_pending = true;
      std::copy(ltk.begin(), ltk.end(), l->pending_ltk.begin());
      if (!l->peripheral.attached) return true;  // the peer is gone; supervision timeout follows
      FakeController& p = *l->peripheral.controller;
      // 7.7.65.5 LE Long Term Key Request: Connection_Handle, Random_Number, EDIV.
      // A controller whose host masked the event answers as a negative reply.
      if (p.apply_masks_ && (!(p.le_event_mask_ & (1ull << (kLeLongTermKeyRequest - 1))) ||
                             !(p.event_mask_ & (1ull << (kEvtLeMeta - 1))))) {
        l->enc_pending = false;
        send_event(kEvtEncryptionChange, W().u8(kPinOrKeyMissing).le16(h).u8(0x00).take());
        return true;
      }
      p.send_le_event(kLeLongTermKeyRequest,
                      W().le16(l->peripheral.handle).bytes(rand).le16(ediv).take());
      return true;
    }
    case op::kLeLongTermKeyRequestReply:            // 7.8.25
    case op::kLeLongTermKeyRequestNegativeReply: {  // 7.8.26
      uint16_t h = r.le16();
      FakeAir::Link* l = link_of(h);
      if (!l) return fail(kUnknownConnectionId);
      if (l->peripheral.controller != this || !l->enc_pending) return fail(kCommandDisallowed);
      command_complete(opcode, W().u8(kSuccess).le16(h).take());
      l->enc_pending = false;
      FakeController& c = *l->central.controller;
      const uint16_t ch = l->central.handle;
      const bool central_attached = l->central.attached;
      if (opcode == op::kLeLongTermKeyRequestNegativeReply) {
        // Vol 6 Part B 5.1.3.1: LL_REJECT_EXT_IND (PIN or Key Missing) to the central.
        l->encrypted = false;
        if (central_attached)
          c.send_event(kEvtEncryptionChange, W().u8(kPinOrKeyMissing).le16(ch).u8(0x00).take());
        return true;
      }
      Bytes ltk = r.take(16);
      if (!std::equal(ltk.begin(), ltk.end(), l->pending_ltk.begin())) {
        if (air_.ltk_mismatch_quirk_) {
          if (central_attached)
            c.send_event(kEvtEncryptionChange, W().u8(kQuirkLtkMismatch).le16(ch).u8(0).take());
          send_event(kEvtEncryptionChange, W().u8(kQuirkLtkMismatch).le16(h).u8(0).take());
          return true;
        }
        // Different session keys: the first encrypted PDU fails its MIC and the
        // link is terminated (Vol 6 Part B 5.1.3.1) on both sides.
        air_.disconnect(*l, kMicFailure, nullptr, kMicFailure);
        return true;
      }
      bool refresh = l->encrypted;
      l->encrypted = true;
      l->ltk = l->pending_ltk;
      if (refresh) {  // 7.7.39 Encryption Key Refresh Complete: Status, Handle
        if (central_attached)
          c.send_event(kEvtEncryptionKeyRefreshComplete, W().u8(kSuccess).le16(ch).take());
        send_event(kEvtEncryptionKeyRefreshComplete, W().u8(kSuccess).le16(h).take());
      } else {  // 7.7.8 Encryption Change: Status, Handle, Encryption_Enabled (0x01: AES-CCM)
        if (central_attached)
          c.send_event(kEvtEncryptionChange, W().u8(kSuccess).le16(ch).u8(0x01).take());
        send_event(kEvtEncryptionChange, W().u8(kSuccess).le16(h).u8(0x01).take());
      }
      return true;
    }
    case op::kLeSetDataLength: {  // 7.8.33 -> 7.7.65.7 on both sides when changed
      uint16_t h = r.le16();
      uint16_t octets = r.le16(), time = r.le16();
      FakeAir::Link* l = link_of(h);
      if (!l) return fail(kUnknownConnectionId);
      if (octets < 0x001B || octets > 0x00FB || time < 0x0148 || time > 0x4290)
        return fail(kInvalidParameters);
      command_complete(opcode, W().u8(kSuccess).le16(h).take());
      // Each direction is separate: this side's TX is the peer's RX. Links
      // start at 27 octets; a peer without the feature rejects the LL
      // procedure, so nothing changes (Vol 6 Part B 5.1.9).
      FakeAir::Side& me = air_.side_of(*l, *this);
      FakeAir::Side& peer = air_.other_side(*l, *this);
      if (octets == me.tx_octets || !peer.attached || !peer.controller->data_length_supported_)
        return true;
      me.tx_octets = octets;
      // 7.7.65.7: Handle, Max_TX_Octets, Max_TX_Time, Max_RX_Octets, Max_RX_Time
      // (times for the 1M PHY: (octets + 14) * 8 us).
      for (FakeAir::Side* s : {&me, &peer}) {
        const FakeAir::Side& o = s == &me ? peer : me;
        s->controller->send_le_event(kLeDataLengthChange,
                                     W().le16(s->handle)
                                         .le16(s->tx_octets)
                                         .le16(uint16_t((s->tx_octets + 14) * 8))
                                         .le16(o.tx_octets)
                                         .le16(uint16_t((o.tx_octets + 14) * 8))
                                         .take());
      }
      return true;
    }
    case op::kLeReadSuggestedDefaultDataLength:  // 7.8.34
      command_complete(opcode,
                       W().u8(kSuccess).le16(suggested_tx_octets_).le16(suggested_tx_time_).take());
      return true;
    case op::kLeWriteSuggestedDefaultDataLength: {  // 7.8.35
      uint16_t octets = r.le16(), time = r.le16();
      if (octets < 0x001B || octets > 0x00FB || time < 0x0148 || time > 0x4290)
        return fail(kInvalidParameters);
      suggested_tx_octets_ = octets;
      suggested_tx_time_ = time;
      ok();
      return true;
    }
    case op::kLeReadMaximumDataLength:  // 7.8.46
      command_complete(opcode, W().u8(kSuccess).le16(251).le16(2120).le16(251).le16(2120).take());
      return true;
    default:
      return false;
  }
}

}  // namespace sable::testing

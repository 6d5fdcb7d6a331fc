#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ in each target's input format
(see the comment at the top of fuzz/fuzz_<target>.cpp). The PDUs are those of
the unit tests (tests/<layer>/). Re-run after changing an input format:
    python3 fuzz/make_seeds.py
Files are named seed-*; inputs merged by scripts/fuzz --update-corpus keep
libFuzzer's hash names, and this script leaves them alone."""
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def le16(v):
    return struct.pack("<H", v & 0xFFFF)


def pick(mod, kind, mask=0, bits=0):
    """The smallest op octet with op % mod == kind and (op & mask) == bits."""
    for v in range(256):
        if v % mod == kind and (v & mask) == bits:
            return v
    raise ValueError((mod, kind, mask, bits))


def write(target, seeds):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.remove(os.path.join(d, f))
    for name, data in seeds.items():
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(bytes(data))


# --- PDUs from the unit tests ------------------------------------------------
ATT = {  # tests/gatt/server_test.cpp, tests/att/pdu_test.cpp
    "mtu": [0x02, 0x00, 0x02],
    "read_name": [0x0A, 0x03, 0x00],
    "read_ref": [0x0A, 0x10, 0x00],
    "read_blob_ref": [0x0C, 0x10, 0x00, 0x02, 0x00],
    "read_by_type_chr": [0x08, 0x01, 0x00, 0xFF, 0xFF, 0x03, 0x28],
    "read_by_group": [0x10, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28],
    "find_info": [0x04, 0x01, 0x00, 0xFF, 0xFF],
    "find_by_type": [0x06, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28, 0xF0, 0xFF],
    "read_multiple": [0x0E, 0x03, 0x00, 0x10, 0x00],
    "read_multiple_var": [0x20, 0x03, 0x00, 0x10, 0x00, 0x13, 0x00],
    "write_cccd": [0x12, 0x11, 0x00, 0x01, 0x00],
    "write_long": [0x12, 0x13, 0x00] + [0x41] * 10,
    "write_ref": [0x12, 0x10, 0x00, 0x01],
    "write_cmd": [0x52, 0x13, 0x00, 0x5A],
    "signed_write": [0xD2, 0x13, 0x00, 0x5A] + [0] * 12,
    "prepare": [0x16, 0x13, 0x00, 0x00, 0x00] + [0x50] * 18,
    "prepare_ref": [0x16, 0x10, 0x00, 0x00, 0x00, 0x01],
    "execute": [0x18, 0x01],
    "confirm": [0x1E],
    "unknown": [0x7F, 0x01],
}

SMP_PAIRING_REQUEST = [0x01, 0x03, 0x00, 0x0D, 0x10, 0x0F, 0x0F]  # tests/l2cap/le_link_test.cpp
SMP_PAIRING_RESPONSE = [0x02, 0x00, 0x00, 0x0D, 0x10, 0x03, 0x03]
SMP_SECURITY_REQUEST = [0x0B, 0x0D]
SMP_PAIRING_FAILED = [0x05, 0x04]
SMP_PUBLIC_KEY = [0x0C] + list(range(64))
SMP_CONFIRM = [0x03] + [0x11] * 16
SMP_RANDOM = [0x04] + [0x22] * 16
SMP_DHKEY_CHECK = [0x0D] + [0x33] * 16
SMP_ENC_INFO = [0x06] + [0x44] * 16
SMP_CENTRAL_ID = [0x07, 0x34, 0x12] + [0x55] * 8
SMP_ID_INFO = [0x08] + [0x66] * 16
SMP_ID_ADDR = [0x09, 0x00, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6]
SMP_KEYPRESS = [0x0E, 0x01]

SIG_CONN_PARAM_REQ = [0x12, 0x01, 0x08, 0x00, 0x18, 0x00, 0x28, 0x00, 0x00, 0x00, 0x90, 0x01]
SIG_CONN_PARAM_RSP = [0x13, 0x01, 0x02, 0x00, 0x00, 0x00]
SIG_COMMAND_REJECT = [0x01, 0x01, 0x02, 0x00, 0x00, 0x00]
SIG_DISCONNECT_REQ = [0x06, 0x02, 0x04, 0x00, 0x40, 0x00, 0x41, 0x00]
SIG_LE_CREDIT_CONN = [0x14, 0x03, 0x0A, 0x00, 0x80, 0x00, 0x40, 0x00, 0x17, 0x00, 0x17, 0x00,
                      0x05, 0x00]


def l2cap(cid, payload):
    return list(le16(len(payload))) + list(le16(cid)) + list(payload)


# HCI events (tests/hci/events_test.cpp), whole packets: code, length, params.
CONN_COMPLETE = [0x00, 0x2A, 0x00, 0x01, 0x01, 0x06, 0x05, 0x04, 0x03, 0x02, 0xC1,
                 0x18, 0x00, 0x00, 0x00, 0x48, 0x00, 0x05]
ENH_CONN_COMPLETE = CONN_COMPLETE[:11] + [0] * 12 + CONN_COMPLETE[11:]
ADV_REPORT = [0x01, 0x00, 0x01, 0x06, 0x05, 0x04, 0x03, 0x02, 0xC1, 0x05,
              0x04, 0x09, ord("a"), ord("b"), ord("c"), 0xC8]


def ev(code, params):
    return [code, len(params)] + list(params)


EVENTS = {
    "cc_bd_addr": ev(0x0E, [0x01, 0x09, 0x10, 0x00, 0x42, 0x00, 0x00, 0x01, 0xAA, 0x00]),
    "cc_nop": ev(0x0E, [0x05, 0x00, 0x00]),
    "cc_status_only": ev(0x0E, [0x01, 0x20, 0x20, 0x00]),
    "cc_version": ev(0x0E, [0x01, 0x01, 0x10, 0x00, 0x0C, 0x00, 0x00, 0x0C, 0x02, 0x00, 0x00, 0x00]),
    "cc_le_buffer": ev(0x0E, [0x01, 0x02, 0x20, 0x00, 0xFB, 0x00, 0x08]),
    "cc_le_buffer_v2": ev(0x0E, [0x01, 0x60, 0x20, 0x00, 0xFB, 0x00, 0x08, 0x00, 0x00, 0x00]),
    "cc_buffer": ev(0x0E, [0x01, 0x05, 0x10, 0x00, 0xFB, 0x00, 0x40, 0x08, 0x00, 0x00, 0x00]),
    "cc_le_rand": ev(0x0E, [0x01, 0x18, 0x20, 0x00] + list(range(8))),
    "cc_commands": ev(0x0E, [0x01, 0x02, 0x10, 0x00] + [0xFF] * 64),
    "cs_create_conn": ev(0x0F, [0x00, 0x01, 0x0D, 0x20]),
    "disconnection": ev(0x05, [0x00, 0x40, 0xF0, 0x13]),
    "encryption_change": ev(0x08, [0x00, 0x01, 0x00, 0x01]),
    "key_refresh": ev(0x30, [0x00, 0x02, 0x00]),
    "nocp": ev(0x13, [0x02, 0x01, 0x00, 0x03, 0x00, 0x02, 0x00, 0x01, 0x00]),
    "hardware_error": ev(0x10, [0x07]),
    "buffer_overflow": ev(0x1A, [0x01]),
    "le_conn_complete": ev(0x3E, [0x01] + CONN_COMPLETE),
    "le_enh_conn_complete": ev(0x3E, [0x0A] + ENH_CONN_COMPLETE),
    "le_adv_report": ev(0x3E, [0x02] + ADV_REPORT),
    "le_conn_update": ev(0x3E, [0x03, 0x00, 0x40, 0x00, 0x18, 0x00, 0x00, 0x00, 0x48, 0x00]),
    "le_remote_features": ev(0x3E, [0x04, 0x00, 0x40, 0x00] + [0x01] + [0] * 7),
    "le_ltk_request": ev(0x3E, [0x05, 0x40, 0x00] + [0] * 10),
    "le_conn_param_req": ev(0x3E, [0x06, 0x40, 0x00, 0x18, 0x00, 0x28, 0x00, 0x00, 0x00, 0x90, 0x01]),
    "le_data_length": ev(0x3E, [0x07, 0x40, 0x00, 0xFB, 0x00, 0x48, 0x08, 0xFB, 0x00, 0x48, 0x08]),
}


def h4_seeds():
    s = {}
    evs = list(EVENTS.values())
    stream = []
    for e in evs[:6]:
        stream += [0x04] + e
    acl = [0x40, 0x20] + list(le16(7)) + l2cap(4, ATT["read_name"])
    s["events"] = [0x00, 0x80, 0x11] + stream
    s["event_and_acl"] = [0x00, 0x80, 0x05] + [0x04] + evs[0] + [0x02] + acl + [0x04] + evs[1]
    s["garbage_then_event"] = [0x00, 0x80, 0x07, 0xFF, 0x00, 0x13] + [0x04] + evs[2]
    s["oversize_acl_small_buffer"] = [0x00, 0x10, 0x03, 0x02, 0x40, 0x20, 0xFF, 0x00] + [0x04] + evs[3]
    cmd = [0x03, 0x0C, 0x00]  # HCI_Reset
    s["to_controller"] = [0x01, 0x80, 0x02, 0x01] + cmd + [0x02] + acl + [0x01, 0x01, 0x20, 0x08] + [0] * 8
    s["iso_sco"] = [0x00, 0x80, 0x09, 0x05, 0x01, 0x00, 0x02, 0x40, 0xAA, 0xBB, 0x03, 0x01, 0x00,
                    0x01, 0xCC]
    return s


def acl_seeds():
    s = {}
    whole = l2cap(4, ATT["read_name"])
    smp = l2cap(6, SMP_PAIRING_REQUEST)
    start = 0x20           # handle 0, PB 0b10, frame8
    cont = 0x10            # handle 0, PB 0b01
    start_h1 = 0x24
    cont_h1 = 0x14
    disc = 0x03
    s["whole"] = [0x87, start, len(whole)] + whole
    s["split"] = [0x87, start, 5] + smp[:5] + [cont, len(smp) - 5] + smp[5:]
    s["header_split"] = [0x87, start, 2] + smp[:2] + [cont, 2] + smp[2:4] + [cont, len(smp) - 4] + smp[4:]
    s["interleaved"] = ([0x87, start, 3] + smp[:3] + [start_h1, 4] + whole[:4] +
                        [cont, len(smp) - 3] + smp[3:] + [cont_h1, len(whole) - 4] + whole[4:])
    s["orphan_and_disconnect"] = [0x87, cont, 3, 1, 2, 3, start, 4] + smp[:4] + [disc, cont, 7] + smp[4:]
    big = l2cap(4, [0x52, 0x13, 0x00] + [0x41] * 300)
    op16 = start | 1
    s["big"] = [0x87, op16] + list(le16(200)) + big[:200] + [cont | 1] + list(le16(len(big) - 200)) + big[200:]
    s["small_pdu_limit"] = [0x01, start, 10] + l2cap(4, [1, 2, 3, 4, 5, 6])
    raw = [0x40, 0x20] + list(le16(len(whole))) + whole
    s["raw"] = [0x87, 0x80, len(raw)] + raw
    return s


def l2cap_seeds():
    s = {}
    sig = pick(5, 1, 0x38, 0x08)   # patched header, CID 5
    att = pick(5, 1, 0x18, 0x00)
    smp = pick(5, 1, 0x18, 0x10)
    t = pick(5, 2, 0x08, 0x08)
    req = pick(5, 3, 0x08, 0x00)
    raw = pick(5, 0)
    for name, cmd in [("conn_param_req", SIG_CONN_PARAM_REQ), ("command_reject", SIG_COMMAND_REJECT),
                      ("disconnect_req", SIG_DISCONNECT_REQ), ("le_credit_conn", SIG_LE_CREDIT_CONN)]:
        s["central_" + name] = [0x01, 0x55, sig, len(cmd)] + cmd
        s["peripheral_" + name] = [0x00, 0x55, sig, len(cmd)] + cmd
    s["peripheral_request_response"] = [0x00, 0x00, req, sig, len(SIG_CONN_PARAM_RSP)] + SIG_CONN_PARAM_RSP
    s["peripheral_request_timeout"] = [0x00, 0x00, req, t, 0xFF, 0x01]
    s["att_and_smp"] = ([0x00, 0x00, att, 3] + ATT["read_name"] + [smp, 7] + SMP_PAIRING_REQUEST)
    frame = l2cap(5, SIG_CONN_PARAM_REQ)
    s["raw_frame"] = [0x01, 0x01, raw] + list(le16(len(frame))) + frame
    s["send_sdus"] = [0x00, 0x00, pick(5, 4, 0x18, 0x00), 0x05, 0x02, pick(5, 4, 0x18, 0x08), 0x41, 0x00]
    return s


def att_server_seeds():
    s = {}
    raw = pick(6, 0)
    sec = pick(6, 2)
    notify = pick(6, 3, 0x08, 0x00)
    indicate = pick(6, 3, 0x08, 0x08)
    t = pick(6, 4, 0x08, 0x08)

    def pdu(p):
        return [raw] + list(le16(len(p))) + p

    for name, p in ATT.items():
        s[name] = [0x00, 0x02] + pdu(p)
    s["read_ref_after_pairing"] = [0x00, 0x02] + pdu(ATT["read_ref"]) + [sec, 0x03, 16] + pdu(ATT["read_ref"])
    s["subscribe_notify"] = ([0x00, 0x02, sec, 0x03, 16] + pdu(ATT["write_cccd"]) +
                             [notify, 0x00, 0x01, 0x00, 0x07])
    s["indicate_timeout"] = ([0x00, 0x02] + pdu([0x12, 0x15, 0x00, 0x02, 0x00]) +
                             [indicate, 0x02, 0x02, 0x00, 1, 2, t, 0xFF, 0xFF] + pdu(ATT["confirm"]))
    s["long_write"] = ([0x00, 0x02] + pdu(ATT["mtu"]) + pdu(ATT["prepare"]) +
                       pdu([0x16, 0x13, 0x00, 0x12, 0x00] + [0x51] * 18) + pdu(ATT["execute"]))
    return s


def gatt_client_seeds():
    s = {}
    start = pick(7, 2, 0x18, 0x00)
    raw = pick(7, 0)
    patched = pick(7, 1, 0x08, 0x00)

    def proc(sel, a=0, b=0):
        return [start, sel] + list(le16(a)) + list(le16(b))

    def rsp(p):
        return [raw] + list(le16(len(p))) + p

    s["mtu"] = [0x00, 0x02] + proc(0) + rsp([0x03, 0x00, 0x01])
    s["services"] = ([0x00, 0x02] + proc(1) +
                     rsp([0x11, 0x06, 0x01, 0x00, 0x05, 0x00, 0x00, 0x18, 0x06, 0x00, 0x0D, 0x00, 0x01, 0x18]) +
                     rsp([0x01, 0x10, 0x0E, 0x00, 0x0A]))
    s["service_by_uuid"] = [0x00, 0x02] + proc(2, 1, 0x1800) + rsp([0x07, 0x01, 0x00, 0x05, 0x00]) + rsp([0x01, 0x06, 0x06, 0x00, 0x0A])
    s["characteristics"] = ([0x00, 0x02] + proc(3, 1, 5) +
                            rsp([0x09, 0x07, 0x02, 0x00, 0x02, 0x03, 0x00, 0x00, 0x2A,
                                 0x04, 0x00, 0x02, 0x05, 0x00, 0x01, 0x2A]) + rsp([0x01, 0x08, 0x06, 0x00, 0x0A]))
    s["descriptors"] = [0x00, 0x02] + proc(4, 0x11, 0x11) + rsp([0x05, 0x01, 0x11, 0x00, 0x02, 0x29])
    s["read_long"] = [0x00, 0x02] + proc(5, 0x13) + rsp([0x0B] + [0x41] * 22) + rsp([0x0D] + [0x42] * 5)
    s["read_error"] = [0x00, 0x02] + proc(5, 0x10) + rsp([0x01, 0x0A, 0x10, 0x00, 0x05])
    s["write"] = [0x00, 0x02] + proc(6, 0x13, 4) + rsp([0x13])
    s["write_long"] = ([0x00, 0x02] + proc(24, 0x13, 40) +
                       rsp([0x17, 0x13, 0x00, 0x00, 0x00] + [0x13] * 18) +
                       rsp([0x17, 0x13, 0x00, 0x12, 0x00] + [0x13] * 18) +
                       rsp([0x17, 0x13, 0x00, 0x24, 0x00] + [0x13] * 4) + rsp([0x19]))
    s["subscribe_notify"] = ([0x00, 0x02] + proc(7, 0x10, 0) + rsp([0x13]) +
                             [pick(7, 6, 0x08, 0x00), 0x00, 0x01, 0x07] +
                             [pick(7, 6, 0x08, 0x08), 0x00, 0x01, 0x08])
    s["patched_answers"] = [0x00, 0x02] + proc(5, 3) + [patched, 4, 0x61, 0x62, 0x63, 0x64]
    s["queue_and_timeout"] = ([0x00, 0x02] + proc(0) + proc(1) + proc(5, 3) +
                              [pick(7, 3, 0x08, 0x08), 0xFF, 0xFF])
    return s


def smp_seeds(dut_initiator):
    s = {}
    honest = pick(8, 0, 0x20, 0x20)
    deliver_to_dut = pick(8, 0, 0x38, 0x00)
    deliver_from_dut = pick(8, 0, 0x38, 0x08)
    tamper_to_dut = pick(8, 0, 0x38, 0x10)
    inject = pick(8, 1, 0x08, 0x08)
    init_peer = pick(8, 5, 0x08, 0x00)
    init_dut = pick(8, 5, 0x08, 0x08)
    timeout = pick(8, 4, 0x08, 0x08)
    seed = list(range(1, 9))
    # policy: io_cap, AuthReq, flags, key sizes
    reference = [0x00, 0x1D, 0x01, 0x90]     # DisplayOnly, all, SC only
    keyboard = [0x02, 0x0D, 0x01, 0x90]      # KeyboardOnly
    nio = [0x03, 0x09, 0x01, 0x90]           # NoInputNoOutput, bond+SC
    yesno = [0x01, 0x0D, 0x01, 0x90]         # DisplayYesNo
    legacy = [0x03, 0x01, 0x00, 0x90]        # legacy allowed, bond only
    legacy_pk = [0x04, 0x05, 0x00, 0x90]     # legacy passkey
    init = init_dut if dut_initiator else init_peer
    pairs = {
        "passkey": (reference, keyboard) if not dut_initiator else (keyboard, reference),
        "just_works": (nio, nio),
        "numeric": (yesno, yesno),
        "legacy_just_works": (legacy, legacy),
        "legacy_passkey": (legacy_pk, legacy_pk),
        "sc_only_vs_legacy": (reference, legacy),
    }
    for name, (dut, peer) in pairs.items():
        s[name] = dut + peer + [0x00] + seed + [init, honest, honest, honest]
        s[name + "_stepwise"] = dut + peer + [0x00] + seed + [init] + [deliver_to_dut, 0, 0, deliver_from_dut, 0, 0] * 6
        s[name + "_tampered"] = dut + peer + [0x00] + seed + [init, deliver_to_dut if dut_initiator else deliver_from_dut, 0, 0, tamper_to_dut, 3, 0x40, honest]
    for name, pdu in [("request", SMP_PAIRING_REQUEST), ("response", SMP_PAIRING_RESPONSE),
                      ("security", SMP_SECURITY_REQUEST), ("failed", SMP_PAIRING_FAILED),
                      ("public_key", SMP_PUBLIC_KEY), ("confirm", SMP_CONFIRM),
                      ("random", SMP_RANDOM), ("dhkey", SMP_DHKEY_CHECK),
                      ("enc_info", SMP_ENC_INFO), ("central_id", SMP_CENTRAL_ID),
                      ("id_info", SMP_ID_INFO), ("id_addr", SMP_ID_ADDR), ("keypress", SMP_KEYPRESS)]:
        s["inject_" + name] = reference + reference + [0x00] + seed + [init, inject, len(pdu)] + pdu + [timeout, 0xFF, 0xFF]
    s["bonded_weaker"] = nio + nio + [0x07] + seed + [init, honest, honest]
    return s


def adv_seeds():
    uuid128 = [0xc1, 0x65, 0x09, 0xeb, 0x01, 0xfc, 0xd7, 0xbe, 0x6c, 0x43, 0x06, 0xf7, 0x47, 0x48, 0x57, 0x9b]
    name = list(b"ESP32 Server")
    ref = [0x02, 0x01, 0x06, len(name) + 1, 0x09] + name
    return {
        "reference_adv": [0x03, 0x02, 0x01, 0x06, 17, 0x07] + uuid128,
        "reference_name": [0x03] + ref,
        "all_fields": [0x02, 0x02, 0x01, 0x06, 0x03, 0x03, 0x0F, 0x18, 0x05, 0x05, 1, 2, 3, 4,
                       0x03, 0x19, 0x40, 0x02, 0x02, 0x0A, 0xF4, 0x05, 0xFF, 0x59, 0x00, 0xAA, 0xBB,
                       0x04, 0x08, ord("a"), ord("b"), ord("c")],
        "zero_terminated": [0x03, 0x02, 0x01, 0x06, 0x00, 0xFF, 0xFF],
        "overrun": [0x00, 0x05, 0x09, ord("a")],
        "bad_uuid16_len": [0x00, 0x04, 0x03, 0x0F, 0x18, 0x00],
    }


def ext_report_seeds():
    # tests/gap/extended_report_test.cpp: [length][LE Extended Advertising
    # Report parameters] per event (Core 5.4 Vol 4 Part E 7.7.65.13).
    def rep(et, sid, data, last=0x16):
        return [et & 0xFF, et >> 8, 0, 0x11, 0x12, 0x13, 0x14, 0x15, last, 1, 2, sid, 0x7F, 0xD8,
                0, 0, 0, 0, 0, 0, 0, 0, 0, len(data)] + list(data)

    def ev(*reps):
        b = [len(reps)] + [x for r in reps for x in r]
        return [len(b)] + b

    return {
        "two_fragments": ev(rep(0x21, 5, range(200))) + ev(rep(0x01, 5, range(40))),
        "two_reports": ev(rep(0x13, 0xFF, [2, 1, 6]), rep(0x1B, 0xFF, [])),
        "truncated": ev(rep(0x20, 2, range(100))) + ev(rep(0x40, 2, range(20))),
        "lying_length": [30, 1] + rep(0x00, 1, range(10))[:29],
        "three_advertisers": ev(rep(0x20, 1, [1, 2], 1)) + ev(rep(0x20, 1, [3], 2)) +
                             ev(rep(0x20, 1, [4], 3)) + ev(rep(0x00, 1, [5], 2)),
    }


def bond_file(records):
    body = le16(len(records)) + b"".join(bytes([tag]) + le16(len(p)) + p for tag, p in records)
    header = b"SABLEBND" + le16(1) + le16(0) + struct.pack("<I", len(body))
    data = header + body
    return data + struct.pack("<I", zlib.crc32(data) & 0xFFFFFFFF)


def bond_seeds():
    irk = bytes(range(1, 17))
    ltk = bytes([0x44] * 16) + le16(0) + struct.pack("<Q", 0) + bytes([16, 0x03])
    peer_ltk = bytes([0x55] * 16) + le16(0x1234) + struct.pack("<Q", 0x1122334455667788) + bytes([16, 0x01])
    addr = bytes([0x00, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6])
    cccds = le16(2) + le16(0x0011) + le16(0x0001) + le16(0x0015) + le16(0x0002)
    bond_full = addr + struct.pack("<Q", 7) + bytes([0x0F]) + irk + ltk + peer_ltk + bytes([0x77] * 16) + cccds
    bond_min = bytes([0x01, 1, 2, 3, 4, 5, 0xC6]) + struct.pack("<Q", 1) + bytes([0x02]) + ltk + le16(0)
    return {
        "empty": b"\x00" + bond_file([]),
        "identity": b"\x00" + bond_file([(0x01, irk)]),
        "one_bond": b"\x00" + bond_file([(0x01, irk), (0x02, bond_full)]),
        "two_bonds": b"\x00" + bond_file([(0x02, bond_full), (0x02, bond_min)]),
        "patched_crc": b"\x01" + bond_file([(0x02, bond_min)])[:-4] + b"\x00\x00\x00\x00",
        "truncated": b"\x00" + bond_file([(0x02, bond_full)])[:40],
    }


def host_seeds():
    s = {}
    acl_att = pick(8, 1, 0x78, 0x00)
    acl_smp = pick(8, 1, 0x78, 0x20)
    acl_sig = pick(8, 1, 0x78, 0x40)
    acl_split = pick(8, 1, 0x78, 0x10)
    api = pick(8, 3)
    t = pick(8, 2, 0x18, 0x10)
    enc = pick(8, 5)
    disc = pick(8, 6)
    evt = pick(8, 0, 0x08, 0x00)
    seed = [1, 2, 3, 4]

    def acl(op, payload):
        return [op] + list(le16(len(payload))) + payload

    # cfg bit 0 connect, 1 central, 2 RPA, 3 reference security, 4 enhanced, 5 auto-encrypt
    s["peripheral_read_ref"] = [0x29] + seed + acl(acl_att, ATT["read_ref"]) + acl(acl_att, ATT["read_name"])
    s["peripheral_discovery"] = [0x29] + seed + acl(acl_att, ATT["mtu"]) + acl(acl_att, ATT["read_by_group"]) + acl(acl_att, ATT["read_by_type_chr"]) + acl(acl_att, ATT["find_info"])
    s["peripheral_pairing_request"] = [0x29] + seed + acl(acl_smp, SMP_PAIRING_REQUEST) + acl(acl_smp, SMP_PUBLIC_KEY)
    s["peripheral_subscribe_notify"] = [0x29] + seed + acl(acl_att, ATT["write_cccd"]) + [api, 0x00, api, 0x00]
    s["peripheral_conn_param"] = [0x09] + seed + [api, 0x06] + acl(acl_sig, SIG_CONN_PARAM_RSP) + [t, 0xFF, 0x00]
    s["peripheral_encrypt_ltk"] = [0x29] + seed + [enc, 0x00, enc, 0x03] + acl(acl_att, ATT["read_ref"])
    s["peripheral_split_write"] = [0x2D] + seed + acl(acl_split, ATT["write_long"]) + [disc, 0x13]
    s["central_pair"] = [0x2B] + seed + [api, 0x01] + acl(acl_smp, SMP_PAIRING_RESPONSE) + [api, 0x0B]
    s["central_security_request"] = [0x23] + seed + acl(acl_smp, SMP_SECURITY_REQUEST)
    s["central_client"] = [0x13] + seed + [api, 0x0C, api, 0x0A, 0x10, 0x00] + acl(acl_att, [0x03, 0x00, 0x01]) + acl(acl_att, [0x0B, 0x61])
    s["scan_reports"] = [0x00] + seed + [api, 0x08] + [evt, len(EVENTS["le_adv_report"])] + EVENTS["le_adv_report"]
    s["connect_timeout"] = [0x00] + seed + [api, 0x09, t, 0xFF, 0x00]
    s["events"] = [0x01] + seed + sum(([evt, len(e)] + e for e in EVENTS.values()), [])
    return s


def main():
    write("h4_deframer", h4_seeds())
    write("hci_events", {k: [0x00] + v for k, v in EVENTS.items()})
    write("acl_recombination", acl_seeds())
    write("l2cap_link", l2cap_seeds())
    write("att_server", att_server_seeds())
    write("gatt_client", gatt_client_seeds())
    write("smp_responder", smp_seeds(False))
    write("smp_initiator", smp_seeds(True))
    write("advertising_data", adv_seeds())
    write("extended_advertising_report", ext_report_seeds())
    write("bond_store_decode", bond_seeds())
    write("host", host_seeds())


if __name__ == "__main__":
    main()

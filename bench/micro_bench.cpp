// sable micro-benchmarks (Google Benchmark). Every benchmark also reports
// allocs/op: heap allocations per operation, counted by the replacement
// allocator in alloc_counter.cpp. The steady-state notify, read and write
// paths run on a real gap::Host (host_fixture.hpp); the others call one layer.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "alloc_counter.hpp"
#include "crypto/crypto.hpp"
#include "hci/acl.hpp"
#include "hci/events.hpp"
#include "host_fixture.hpp"
#include "smp/toolbox.hpp"
#include "store/bond_store.hpp"

namespace sable::bench {
namespace {

// Runs body once per iteration and records allocs/op.
template <class Body>
void measure(benchmark::State& state, Body&& body) {
  AllocationScope scope;
  for (auto _ : state) body();
  state.counters["allocs/op"] =
      benchmark::Counter(double(scope.delta()) / double(state.iterations()));
}

// ---- steady state on a real host ------------------------------------------

// Host::notify of a value (1 octet at MTU 23, 244 octets at MTU 247) to the
// subscribed, encrypted link, then the controller's Number Of Completed
// Packets that returns the buffer: the server's whole cost per notification.
void BM_Notify(benchmark::State& state) {
  const auto size = size_t(state.range(0));
  SteadyState s(size > 20 ? 247 : 23);
  if (!s.ok) return state.SkipWithError("setup failed");
  std::vector<uint8_t> value(size, 0x5A);
  uint32_t seq = 0;
  bool failed = false;
  measure(state, [&] {
    value[0] = uint8_t(++seq);
    if (s.server().notify(s.now(), s.value_handle, value).sent != 1) failed = true;
    s.complete_one();
  });
  if (failed) state.SkipWithError("notify did not send");
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_Notify)->Arg(1)->Arg(244);

// An ATT Read Request in an ACL packet → Read Response, plus the completion.
void BM_ReadRequest(benchmark::State& state) {
  SteadyState s(23);
  if (!s.ok) return state.SkipWithError("setup failed");
  const std::array<uint8_t, 3> req = {0x0A, uint8_t(s.value_handle), uint8_t(s.value_handle >> 8)};
  measure(state, [&] {
    s.deliver_att(req);
    s.complete_one();
  });
  if (s.server_side().last[8] != 0x0B) state.SkipWithError("no Read Response");
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_ReadRequest);

// An ATT Write Request (20 octets) → Write Response, plus the completion.
void BM_WriteRequest(benchmark::State& state) {
  SteadyState s(23);
  if (!s.ok) return state.SkipWithError("setup failed");
  std::array<uint8_t, 23> req{};
  req[0] = 0x12;
  req[1] = uint8_t(s.write_handle);
  req[2] = uint8_t(s.write_handle >> 8);
  measure(state, [&] {
    ++req[3];
    s.deliver_att(req);
    s.complete_one();
  });
  if (s.server_side().last[8] != 0x13) state.SkipWithError("no Write Response");
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_WriteRequest);

// ---- L2CAP recombination ----------------------------------------------------

std::vector<uint8_t> acl_packet(uint16_t handle, uint8_t pb, Bytes data) {
  std::vector<uint8_t> p(4 + data.size());
  p[0] = uint8_t(handle);
  p[1] = uint8_t((handle >> 8) | (pb << 4));
  p[2] = uint8_t(data.size());
  p[3] = uint8_t(data.size() >> 8);
  std::copy(data.begin(), data.end(), p.begin() + 4);
  return p;
}

// A 251-octet L2CAP PDU (a 244-octet notification) in packets of at most
// `fragment` octets (btvirt's buffer is 192: two packets; 251: one, no copy).
void BM_AclRecombination(benchmark::State& state) {
  const auto fragment = size_t(state.range(0));
  std::vector<uint8_t> pdu(251, 0xA5);
  pdu[0] = 247;  // L2CAP length
  pdu[1] = 0;
  pdu[2] = 0x04;  // CID: ATT
  pdu[3] = 0;
  std::vector<std::vector<uint8_t>> packets;
  for (size_t off = 0; off < pdu.size(); off += fragment) {
    size_t n = std::min(fragment, pdu.size() - off);
    packets.push_back(acl_packet(
        0x0040, off == 0 ? hci::pb::kFirstFlushable : hci::pb::kContinuation, Bytes(&pdu[off], n)));
  }
  size_t delivered = 0;
  hci::AclInbound in([&](uint16_t, Bytes p) { delivered += p.size(); });
  measure(state, [&] {
    for (const auto& p : packets) in.on_acl(p);
  });
  if (delivered != pdu.size() * size_t(state.iterations())) state.SkipWithError("PDU lost");
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_AclRecombination)->Arg(27)->Arg(192)->Arg(251);

// ---- HCI event decode -------------------------------------------------------

void BM_DecodeNumberOfCompletedPackets(benchmark::State& state) {
  const std::array<uint8_t, 7> ev = {0x13, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00};
  uint32_t total = 0;
  measure(state, [&] {
    auto e = hci::EventPacket::parse(ev);
    auto n = hci::NumberOfCompletedPacketsEvent::parse(e->params);
    total += n->count(0);
    benchmark::DoNotOptimize(total);
  });
}
BENCHMARK(BM_DecodeNumberOfCompletedPackets);

void BM_DecodeLeConnectionComplete(benchmark::State& state) {
  const std::array<uint8_t, 21> ev = {0x3E, 0x13, 0x01, 0x00, 0x40, 0x00, 0x01,
                                      0x00, 0x42, 0x00, 0x01, 0x01, 0xAA, 0x00,
                                      0x18, 0x00, 0x00, 0x00, 0x90, 0x01, 0x00};
  measure(state, [&] {
    auto e = hci::EventPacket::parse(ev);
    auto meta = hci::LeMetaEvent::parse(e->params);
    auto cc = hci::LeConnectionCompleteEvent::parse(meta->params);
    benchmark::DoNotOptimize(meta);
    benchmark::DoNotOptimize(cc);
  });
}
BENCHMARK(BM_DecodeLeConnectionComplete);

void BM_DecodeAdvertisingReport(benchmark::State& state) {
  // ADV_IND with flags, complete name "ESP32" and a 128-bit UUID (28 octets).
  std::vector<uint8_t> data = {0x02, 0x01, 0x06, 0x06, 0x09, 'E', 'S', 'P', '3', '2', 0x11, 0x07};
  for (int i = 0; i < 16; ++i) data.push_back(uint8_t(i));
  std::vector<uint8_t> ev = {
      0x3E, 0, 0x02, 0x01, 0x00, 0x00, 0x42, 0x00, 0x00, 0x01, 0xAA, 0x00, uint8_t(data.size())};
  ev.insert(ev.end(), data.begin(), data.end());
  ev.push_back(uint8_t(-60));
  ev[1] = uint8_t(ev.size() - 2);
  size_t octets = 0;
  measure(state, [&] {
    auto e = hci::EventPacket::parse(ev);
    auto meta = hci::LeMetaEvent::parse(e->params);
    auto r = hci::LeAdvertisingReportEvent::parse(meta->params);
    if (!r.ok()) return;
    for (const auto& a : *r) octets += a.data.size();
    benchmark::DoNotOptimize(octets);
  });
  if (octets == 0) state.SkipWithError("report not decoded");
}
BENCHMARK(BM_DecodeAdvertisingReport);

// ---- SMP LE Secure Connections pairing compute ------------------------------

struct ScInputs {
  testing::DeterministicRandom random{7};
  crypto::P256KeyPair ours = *crypto::generate_p256_key_pair(random);
  crypto::P256KeyPair theirs = *crypto::generate_p256_key_pair(random);
  smp::Random na{}, nb{};
  Address a1 = *Address::parse("00:AA:01:00:00:01");
  Address a2 = *Address::parse("00:AA:01:01:00:02");
  smp::IoCapOctets io{0x04, 0x00, 0x2D};
  ScInputs() {
    random.fill(na);
    random.fill(nb);
  }
};

void BM_P256KeyGen(benchmark::State& state) {
  testing::DeterministicRandom random(3);
  measure(state, [&] { benchmark::DoNotOptimize(crypto::generate_p256_key_pair(random)); });
}
BENCHMARK(BM_P256KeyGen)->Unit(benchmark::kMillisecond);

void BM_EcdhDhKey(benchmark::State& state) {
  ScInputs in;
  measure(state,
          [&] { benchmark::DoNotOptimize(crypto::p256_dh_key(in.ours, in.theirs.public_key)); });
}
BENCHMARK(BM_EcdhDhKey)->Unit(benchmark::kMillisecond);

void BM_F4(benchmark::State& state) {
  ScInputs in;
  measure(state, [&] {
    benchmark::DoNotOptimize(smp::f4(in.ours.public_key.x, in.theirs.public_key.x, in.na, 0x81));
  });
}
BENCHMARK(BM_F4);

void BM_F5(benchmark::State& state) {
  ScInputs in;
  smp::DhKey w{};
  in.random.fill(w);
  measure(state, [&] { benchmark::DoNotOptimize(smp::f5(w, in.na, in.nb, in.a1, in.a2)); });
}
BENCHMARK(BM_F5);

void BM_F6(benchmark::State& state) {
  ScInputs in;
  smp::Key w{}, r{};
  in.random.fill(w);
  measure(state,
          [&] { benchmark::DoNotOptimize(smp::f6(w, in.na, in.nb, r, in.io, in.a1, in.a2)); });
}
BENCHMARK(BM_F6);

// Everything one side computes in an LE SC passkey pairing: a key pair, the
// peer key check and DHKey, 20 rounds x (own confirm + check of the peer's)
// f4, f5, and f6 for its own check value and the peer's.
void BM_ScPasskeyPairingCompute(benchmark::State& state) {
  ScInputs in;
  measure(state, [&] {
    auto ours = crypto::generate_p256_key_pair(in.random);
    auto dh = crypto::p256_dh_key(*ours, in.theirs.public_key);
    smp::Key acc{};
    for (int bit = 0; bit < 20; ++bit) {
      auto c1 =
          smp::f4(ours->public_key.x, in.theirs.public_key.x, in.na, uint8_t(0x80 | (bit & 1)));
      auto c2 =
          smp::f4(in.theirs.public_key.x, ours->public_key.x, in.nb, uint8_t(0x80 | (bit & 1)));
      acc[0] ^= uint8_t(c1[0] ^ c2[0]);
    }
    auto keys = smp::f5(*dh, in.na, in.nb, in.a1, in.a2);
    auto ea = smp::f6(keys.mac_key, in.na, in.nb, acc, in.io, in.a1, in.a2);
    auto eb = smp::f6(keys.mac_key, in.nb, in.na, acc, in.io, in.a2, in.a1);
    benchmark::DoNotOptimize(ea);
    benchmark::DoNotOptimize(eb);
  });
}
BENCHMARK(BM_ScPasskeyPairingCompute)->Unit(benchmark::kMillisecond);

// ---- RPA resolution ---------------------------------------------------------

// An RPA made with IRK `irk` (Core 5.4 Vol 6 Part B 1.3.2.2).
std::array<uint8_t, 6> make_rpa(const smp::Key& irk) {
  smp::PRand prand = {0x12, 0x34, 0x56 & 0x3F};
  prand[2] |= 0x40;
  auto hash = smp::ah(irk, prand);
  return {hash[0], hash[1], hash[2], prand[0], prand[1], prand[2]};
}

std::vector<smp::Key> irks(size_t n) {
  testing::DeterministicRandom random(11);
  std::vector<smp::Key> out(n);
  for (auto& k : out) random.fill(k);
  return out;
}

// Worst case: the RPA belongs to the last IRK tried (one ah per bond).
void BM_RpaResolveIrks(benchmark::State& state) {
  auto keys = irks(size_t(state.range(0)));
  auto rpa = make_rpa(keys.back());
  size_t found = 0;
  measure(state, [&] {
    for (const auto& k : keys)
      if (smp::rpa_matches_irk(k, rpa)) {
        ++found;
        break;
      }
  });
  if (int64_t(found) != int64_t(state.iterations())) state.SkipWithError("not resolved");
}
BENCHMARK(BM_RpaResolveIrks)->Arg(1)->Arg(16)->Arg(100);

// The same through the bond store the host uses (MemoryBondStore::find_by_rpa,
// most recently used first; the match is the least recently used bond).
void BM_RpaResolveBondStore(benchmark::State& state) {
  const auto n = size_t(state.range(0));
  store::StoreOptions options;
  options.capacity = n;
  store::MemoryBondStore bonds(options);
  auto keys = irks(n);
  for (size_t i = 0; i < n; ++i) {
    store::Bond b;
    b.peer_identity = *Address::parse("00:AA:01:00:00:00");
    b.peer_identity.bytes[0] = uint8_t(i);
    b.peer_identity.bytes[1] = uint8_t(i >> 8);
    b.peer_irk = keys[i];
    store::LongTermKey ltk;
    ltk.secure_connections = true;
    ltk.authenticated = true;
    b.ltk = ltk;
    if (!bonds.put(b).ok()) return state.SkipWithError("put failed");
  }
  auto rpa = make_rpa(keys.front());
  store::RpaResolver resolver = [](const store::Key128& irk, const std::array<uint8_t, 6>& r) {
    return smp::rpa_matches_irk(irk, r);
  };
  size_t found = 0;
  measure(state, [&] {
    if (bonds.find_by_rpa(rpa, resolver)) ++found;
  });
  if (int64_t(found) != int64_t(state.iterations())) state.SkipWithError("not resolved");
}
BENCHMARK(BM_RpaResolveBondStore)->Arg(1)->Arg(16)->Arg(100);

}  // namespace
}  // namespace sable::bench

BENCHMARK_MAIN();

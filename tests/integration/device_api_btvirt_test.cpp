// The public API end to end on btvirt: a server Device and a central Device
// in this process, each on its own emulated controller of one virtual air.
//  - set_value(v).notify() from the application's thread hands over without
//    waiting and every value arrives, in order, each once;
//  - notify() inside a callback (the stack's thread) sends at once;
//  - a value longer than the maximum is refused with kValueTooLong;
//  - a pairing failure says which side ended it (Error::origin);
//  - a Client kept past the end of its link acts on nothing, not even on a
//    new link to the same peer (which may reuse its HCI handle).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "btvirt.hpp"
#include "sable/device.hpp"

namespace sable::testing {
namespace {

using std::chrono::milliseconds;

const Uuid kService = *Uuid::parse("7a1f0001-5ab1-4c0d-9e1f-0a5ab1e0a5ab");
const Uuid kValue = *Uuid::parse("7a1f0002-5ab1-4c0d-9e1f-0a5ab1e0a5ab");

// Waits until pred() holds (checked under the mutex) or the timeout passes.
template <class Pred>
bool wait_until(std::mutex& m, std::condition_variable& cv, milliseconds timeout, Pred pred) {
  std::unique_lock lock(m);
  return cv.wait_for(lock, timeout, pred);
}

struct Pair {
  VirtualRadio radio;
  std::unique_ptr<Device> server;
  std::unique_ptr<Device> central;
  Characteristic* characteristic = nullptr;
  std::unique_ptr<Client> client;
  RemoteCharacteristic remote;

  // A server with one characteristic, advertising as `name`.
  void start_server(const std::string& name, Properties properties) {
    ASSERT_TRUE(radio.ok());
    DeviceOptions o;
    o.hci = "unix:" + radio.le_socket();
    o.name = name;
    auto d = Device::take(o);
    ASSERT_TRUE(d.ok()) << d.error().message;
    server = std::move(d.value());
    Service& s = server->server().create_service(kService);
    characteristic = &s.create_characteristic(kValue, properties);
    characteristic->set_value({0});
  }
  void advertise(const std::string& name) {
    ASSERT_TRUE(server->advertising().set_data(AdvertisementData().name(name)).ok());
    ASSERT_TRUE(server->advertising().set_interval(0x20, 0x20).ok());
    ASSERT_TRUE(server->advertising().start().ok());
  }
  void start_central() {
    DeviceOptions o;
    o.hci = "unix:" + radio.le_socket();
    o.name = "central";
    auto d = Device::take(o);
    ASSERT_TRUE(d.ok()) << d.error().message;
    central = std::move(d.value());
  }
  void connect(const std::string& name) {
    ScanFilter f;
    f.name = name;
    auto found = central->scanner().find(f, milliseconds(10000));
    ASSERT_TRUE(found.ok()) << found.error().message;
    ConnectOptions co;
    co.min_interval = co.max_interval = 6;  // 7.5 ms
    auto c = central->connect(found.value().address, co);
    ASSERT_TRUE(c.ok()) << c.error().message;
    client = std::move(c.value());
  }
  void find_value() {
    auto r = client->find_characteristic(kService, kValue);
    ASSERT_TRUE(r.ok()) << r.error().message;
    remote = r.value();
  }
};

TEST(DeviceApiOnBtvirt, NotifyFromAnotherThreadDeliversEveryValueInOrder) {
  Pair p;
  ASSERT_NO_FATAL_FAILURE(p.start_server("api-notify", Property::Read | Property::Notify));
  std::mutex m;
  std::condition_variable cv;
  bool subscribed = false;
  std::vector<uint16_t> received;
  std::vector<NotifyStatus> outcomes;
  p.characteristic->on_subscribe([&](uint16_t, uint16_t cccd) {
    std::lock_guard lock(m);
    subscribed = cccd != 0;
    cv.notify_all();
  });
  p.characteristic->on_notified([&](std::span<const uint8_t>, const NotifyResult& r) {
    std::lock_guard lock(m);
    outcomes.push_back(r.status);
  });
  ASSERT_NO_FATAL_FAILURE(p.advertise("api-notify"));
  ASSERT_NO_FATAL_FAILURE(p.start_central());
  ASSERT_NO_FATAL_FAILURE(p.connect("api-notify"));
  ASSERT_NO_FATAL_FAILURE(p.find_value());
  auto sub = p.client->subscribe(p.remote, [&](std::span<const uint8_t> v) {
    std::lock_guard lock(m);
    received.push_back(uint16_t(v[0] | (v[1] << 8)));
    cv.notify_all();
  });
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  ASSERT_TRUE(wait_until(m, cv, milliseconds(5000), [&] { return subscribed; }));

  // This thread is not the stack's: each call queues and returns at once; a
  // full queue says kOutOfBuffers and the value is sent again a moment later.
  constexpr uint16_t kCount = 1000;
  size_t full = 0;
  for (uint16_t i = 0; i < kCount;) {
    NotifyResult r = p.characteristic->set_value({uint8_t(i), uint8_t(i >> 8)}).notify();
    if (r.status == NotifyStatus::kOutOfBuffers) {
      ++full;
      std::this_thread::sleep_for(milliseconds(1));
      continue;
    }
    ASSERT_EQ(r.status, NotifyStatus::kQueued) << "value " << i << ": " << r.to_string();
    ASSERT_TRUE(r.ok());
    ++i;
  }
  ASSERT_TRUE(wait_until(m, cv, milliseconds(20000), [&] { return received.size() >= kCount; }))
      << received.size() << " of " << kCount << " values arrived";
  std::this_thread::sleep_for(milliseconds(200));  // nothing more may come
  std::lock_guard lock(m);
  ASSERT_EQ(received.size(), kCount);
  for (uint16_t i = 0; i < kCount; ++i) ASSERT_EQ(received[i], i) << "at " << i;
  EXPECT_EQ(outcomes.size(), kCount);
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), NotifyStatus::kSent), kCount);
  EXPECT_EQ(p.characteristic->notify_failures(), 0u);
  std::printf("%zu of %u calls found the queue full\n", full, unsigned(kCount));
}

TEST(DeviceApiOnBtvirt, NotifyOnTheStackThreadIsSentAtOnce) {
  Pair p;
  ASSERT_NO_FATAL_FAILURE(p.start_server("api-direct", Property::Read | Property::Notify));
  std::mutex m;
  std::condition_variable cv;
  std::optional<NotifyResult> direct;
  std::vector<uint8_t> received;
  // Inside a callback: the stack's thread, so the value goes out at once and
  // the result is the stack's own.
  p.characteristic->on_subscribe([&](uint16_t, uint16_t cccd) {
    if (cccd == 0) return;
    NotifyResult r = p.characteristic->set_value({0x42}).notify();
    std::lock_guard lock(m);
    direct = r;
    cv.notify_all();
  });
  ASSERT_NO_FATAL_FAILURE(p.advertise("api-direct"));
  ASSERT_NO_FATAL_FAILURE(p.start_central());
  ASSERT_NO_FATAL_FAILURE(p.connect("api-direct"));
  ASSERT_NO_FATAL_FAILURE(p.find_value());
  auto sub = p.client->subscribe(p.remote, [&](std::span<const uint8_t> v) {
    std::lock_guard lock(m);
    received.assign(v.begin(), v.end());
    cv.notify_all();
  });
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  ASSERT_TRUE(wait_until(m, cv, milliseconds(5000), [&] { return direct && !received.empty(); }));
  std::lock_guard lock(m);
  EXPECT_EQ(direct->status, NotifyStatus::kSent) << direct->to_string();
  EXPECT_EQ(direct->sent, 1u);
  EXPECT_EQ(received, std::vector<uint8_t>{0x42});
}

TEST(DeviceApiOnBtvirt, ValueLongerThanTheMaximumIsRefused) {
  Pair p;
  ASSERT_NO_FATAL_FAILURE(p.start_server("api-long", Property::Read | Property::Notify));
  p.characteristic->set_value({1, 2, 3});
  std::vector<uint8_t> too_long(Characteristic::kMaxValueLength + 1, 0xEE);
  NotifyResult r = p.characteristic->set_value(too_long).notify();
  EXPECT_EQ(r.status, NotifyStatus::kValueTooLong);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.to_string().find("maximum"), std::string::npos) << r.to_string();
  EXPECT_EQ(p.characteristic->value(), (std::vector<uint8_t>{1, 2, 3})) << "the old value stays";
  // A value that fits clears it; the longest one fits.
  std::vector<uint8_t> longest(Characteristic::kMaxValueLength, 0x11);
  EXPECT_NE(p.characteristic->set_value(longest).notify().status, NotifyStatus::kValueTooLong);
  EXPECT_EQ(p.characteristic->value(), longest);
}

TEST(DeviceApiOnBtvirt, PairingFailureSaysWhichSideEndedIt) {
  Pair p;
  ASSERT_NO_FATAL_FAILURE(
      p.start_server("api-pair", Property::Read | Property::ReadEnc | Property::Notify));
  std::mutex m;
  std::condition_variable cv;
  std::optional<Error> server_error;
  p.server->security()
      .set_auth(AuthReq::all())
      .set_io_cap(IoCap::DisplayOnly)
      .set_passkey(123456)
      .on_pairing_failed([&](const ConnDesc&, const Error& e) {
        std::lock_guard lock(m);
        server_error = e;
        cv.notify_all();
      });
  ASSERT_NO_FATAL_FAILURE(p.advertise("api-pair"));
  ASSERT_NO_FATAL_FAILURE(p.start_central());
  // The central types a passkey that differs from the server's in its lowest
  // bit: the server (responder) finds the first confirm value wrong and sends
  // Pairing Failed (Core 5.4 Vol 3 Part H 2.3.5.6.3).
  p.central->security()
      .set_auth(AuthReq::all())
      .set_io_cap(IoCap::KeyboardOnly)
      .on_passkey_request([](const ConnDesc&) { return std::optional<uint32_t>(111111); });
  ASSERT_NO_FATAL_FAILURE(p.connect("api-pair"));
  auto paired = p.client->pair();
  ASSERT_FALSE(paired.ok());
  EXPECT_EQ(paired.error().kind, ErrorKind::kPairingFailed) << paired.error().message;
  EXPECT_EQ(paired.error().origin, ErrorOrigin::kPeer) << paired.error().message;
  ASSERT_TRUE(wait_until(m, cv, milliseconds(5000), [&] { return server_error.has_value(); }));
  std::lock_guard lock(m);
  EXPECT_EQ(server_error->kind, ErrorKind::kPairingFailed) << server_error->message;
  EXPECT_EQ(server_error->origin, ErrorOrigin::kLocal) << server_error->message;
  EXPECT_EQ(server_error->code, paired.error().code);
}

TEST(DeviceApiOnBtvirt, AClientWhoseLinkEndedDoesNotActOnTheNextLink) {
  Pair p;
  ASSERT_NO_FATAL_FAILURE(p.start_server("api-stale", Property::Read));
  ASSERT_NO_FATAL_FAILURE(p.advertise("api-stale"));
  ASSERT_NO_FATAL_FAILURE(p.start_central());
  ASSERT_NO_FATAL_FAILURE(p.connect("api-stale"));
  std::unique_ptr<Client> old = std::move(p.client);
  auto first = old->desc();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(old->disconnect().ok());
  EXPECT_FALSE(old->connected());
  // The server advertises again; the central connects anew.
  ASSERT_NO_FATAL_FAILURE(p.connect("api-stale"));
  auto second = p.client->desc();
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->generation, first->generation);
  // Whether or not the controller reused the handle, the old Client is done.
  EXPECT_FALSE(old->connected());
  auto read = old->find_characteristic(kService, kValue);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind, ErrorKind::kDisconnected);
  EXPECT_EQ(old->disconnect().error().kind, ErrorKind::kNotConnected);
  old.reset();  // its destructor must not end the new link either
  EXPECT_TRUE(p.client->connected());
  EXPECT_TRUE(p.client->find_characteristic(kService, kValue).ok());
}

}  // namespace
}  // namespace sable::testing

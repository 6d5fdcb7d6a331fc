// The reference program (DESIGN.md): the esp32-nimble "secure server"
// tutorial, line by line, on sable.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "sable/device.hpp"

namespace {

const char kUsage[] =
    "usage: secure-server --hci SPEC [options]\n"
    "  --hci SPEC          controller: unix:PATH, tcp:HOST:PORT, uart:DEV[:BAUD[:rtscts]], user:N\n"
    "  --name NAME         advertised name (default \"ESP32 Server\")\n"
    "  --passkey N|random  static 6-digit passkey (default 123456) or a fresh one per pairing\n"
    "  --bond-store PATH   bond file (default ./sable-bonds)\n"
    "  --btsnoop FILE      write every HCI packet to a BTSnoop capture\n"
    "  --allow-legacy      accept LE legacy pairing (default: Secure Connections only)\n"
    "  --allow-debug-keys  accept a peer's Secure Connections debug key (development only)\n"
    "  --no-reconnect      exit when the controller is lost (default: wait for it and resume)\n"
    "  --max-connections N serve up to N centrals at once, 1 to 16 (default 1); advertising\n"
    "                      resumes while fewer are connected\n"
    "  -v                  more logging (repeat for more)\n";

struct Args {
  sable::DeviceOptions device;
  std::string name = "ESP32 Server";
  bool random_passkey = false;
  uint32_t passkey = 123456;
  bool allow_legacy = false;
  bool allow_debug_keys = false;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "secure-server: %s\n%s", message.c_str(), kUsage);
  std::exit(2);
}

Args parse_args(int argc, char** argv) {
  Args args;
  args.device.bond_store = "sable-bonds";
  args.device.reconnect = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) usage_error(std::string(flag) + " needs a value");
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--hci") {
      args.device.hci = value("--hci");
    } else if (a == "--name") {
      args.name = value("--name");
      if (args.name.empty() || args.name.size() > 29)
        usage_error("--name must be 1 to 29 characters");
    } else if (a == "--passkey") {
      std::string v = value("--passkey");
      if (v == "random") {
        args.random_passkey = true;
      } else {
        char* end = nullptr;
        unsigned long n = std::strtoul(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || n > 999999)
          usage_error("--passkey must be a number from 0 to 999999, or 'random'");
        args.passkey = uint32_t(n);
      }
    } else if (a == "--bond-store") {
      args.device.bond_store = value("--bond-store");
    } else if (a == "--btsnoop") {
      args.device.btsnoop = value("--btsnoop");
    } else if (a == "--allow-legacy") {
      args.allow_legacy = true;
    } else if (a == "--allow-debug-keys") {
      args.allow_debug_keys = true;
    } else if (a == "--max-connections") {
      std::string v = value("--max-connections");
      char* end = nullptr;
      unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > sable::DeviceOptions::kMaxConnections)
        usage_error("--max-connections must be a number from 1 to 16");
      args.device.max_connections = unsigned(n);
    } else if (a == "--no-reconnect") {
      args.device.reconnect = false;
    } else if (a == "-v" || a == "-vv") {
      args.device.verbosity += a == "-vv" ? 2 : 1;
    } else {
      usage_error("unknown option '" + a + "'");
    }
  }
  if (args.device.hci.empty())
    usage_error("--hci is required (scripts/run-server starts a virtual controller for you)");
  args.device.name = args.name;
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sable;
  Args args = parse_args(argc, argv);

  // 1. Take the BLE device (one host per controller).
  auto taken = Device::take(args.device);
  if (!taken.ok()) {
    std::fprintf(stderr, "secure-server: %s\n", taken.error().message.c_str());
    return 1;
  }
  Device& device = **taken;

  // 2. Security: bonding + MITM + Secure Connections + keypress, passkey, DisplayOnly, RPA.
  Security& security = device.security();
  security.set_auth(AuthReq::all()).set_io_cap(IoCap::DisplayOnly).resolve_rpa();
  if (args.random_passkey) {
    security.set_random_passkey();
  } else {
    security.set_passkey(args.passkey);
    std::fprintf(
        stderr,
        "warning: static passkey %06u: the Core specification requires a fresh random "
        "passkey for each pairing (use --passkey random); repeated failures are throttled\n",
        unsigned(args.passkey));
  }
  security.allow_legacy_pairing(args.allow_legacy);
  if (args.allow_debug_keys) {
    security.allow_debug_keys(true);
    std::fprintf(stderr, "warning: debug keys accepted: pairings can be decrypted by anyone\n");
  }
  security.on_passkey_display([](const ConnDesc& desc, uint32_t passkey) {
    std::printf("pairing with %s: passkey %06u\n", desc.address.text().c_str(), unsigned(passkey));
    std::fflush(stdout);
  });
  security.on_pairing_complete([](const ConnDesc& desc) {
    std::printf("paired: %s\n", desc.text().c_str());
    std::fflush(stdout);
  });
  security.on_pairing_failed([](const ConnDesc& desc, const Error& error) {
    std::printf("pairing with %s failed: %s\n", desc.address.text().c_str(), error.message.c_str());
    std::fflush(stdout);
  });
  if (auto warning = device.bond_store_warning())
    std::fprintf(stderr, "warning: bond store: %s\n", warning->c_str());

  // 3./4. Connection callbacks.
  Server& server = device.server();
  server.on_connect([](Server& s, const ConnDesc& desc) {
    std::printf("connected: %s\n", desc.text().c_str());
    std::fflush(stdout);
    // 30-60 ms interval, latency 0, 600 ms supervision timeout.
    if (auto r = s.update_conn_params(desc.handle, 24, 48, 0, 60); !r.ok())
      std::fprintf(stderr, "update_conn_params: %s\n", r.error().message.c_str());
  });
  server.on_disconnect([](const ConnDesc& desc, DisconnectReason reason) {
    std::printf("disconnected: %s reason 0x%02x; advertising again\n", desc.text().c_str(), reason);
    std::fflush(stdout);
  });
  server.on_security_changed([](const ConnDesc& desc) {
    std::printf("security changed: %s\n", desc.text().c_str());
    std::fflush(stdout);
  });

  // 5. The service and its characteristic.
  Service& service = server.create_service(uuid128("9b574847-f706-436c-bed7-fc01eb0965c1"));
  Characteristic& characteristic =
      service.create_characteristic(uuid128("681285a6-247f-48c6-80ad-68c3dce18585"),
                                    Property::Read | Property::ReadEnc | Property::Notify);
  characteristic.set_value("Start Value");

  // 6. Advertising: name + service UUID.
  Advertising& advertising = device.advertising();
  if (auto r = advertising.set_data(AdvertisementData().name(args.name).add_service_uuid(
          uuid128("9b574847-f706-436c-bed7-fc01eb0965c1")));
      !r.ok()) {
    std::fprintf(stderr, "secure-server: %s\n", r.error().message.c_str());
    return 1;
  }
  if (auto r = advertising.start(); !r.ok()) {
    std::fprintf(stderr, "secure-server: %s\n", r.error().message.c_str());
    return 1;
  }
  std::printf("advertising \"%s\" as %s\n", args.name.c_str(), device.address().c_str());
  std::fflush(stdout);

  // 7. Every second: set_value([counter]).notify(), wrapping at 255. What the
  // stack did with each value is reported on its thread (on_notified); notify()
  // itself says only when nothing was handed over (e.g. nobody is connected).
  characteristic.on_notified([last = NotifyStatus::kNotStarted](std::span<const uint8_t> value,
                                                                const NotifyResult& r) mutable {
    if (r.status != last || r.sent > 0) {
      std::printf("notify %u: %s\n", value.empty() ? 0u : unsigned(value[0]), r.text().c_str());
      std::fflush(stdout);
      last = r.status;
    }
  });
  uint8_t counter = 0;
  NotifyStatus last = NotifyStatus::kNotStarted;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (auto err = device.error()) {
      std::fprintf(stderr, "secure-server: %s\n", err->message.c_str());
      return 1;
    }
    NotifyResult r = characteristic.set_value({counter}).notify();
    // Refused before reaching the stack: on_notified does not see these.
    const bool refused =
        r.status == NotifyStatus::kNotConnected || r.status == NotifyStatus::kNotStarted ||
        r.status == NotifyStatus::kNoCccd || r.status == NotifyStatus::kValueTooLong;
    if (refused && r.status != last) {
      std::printf("notify %u: %s\n", counter, r.text().c_str());
      std::fflush(stdout);
    }
    last = r.status;
    counter = uint8_t(counter + 1);
  }
}

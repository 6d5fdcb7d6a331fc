// The commands that need a controller: scan, connect, read, write, subscribe, pair.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "cli.hpp"

namespace sable_cli {
namespace {

using sable::Address;
using sable::Client;
using sable::ConnDesc;
using sable::Device;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

milliseconds timeout_of(const Options& o, double default_s) {
  return milliseconds(static_cast<long long>(o.timeout_s.value_or(default_s) * 1000));
}

std::string seconds_text(milliseconds t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", double(t.count()) / 1000.0);
  return buf;
}

std::string interval_text(const ConnDesc& d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", d.interval_ms());
  return buf;
}

Json conn_json(const ConnDesc& d) {
  return Json()
      .num("handle", d.handle)
      .str("address", d.address.to_string())
      .str("address_type", address_type_name(d.address))
      .str("identity", d.id_address.to_string())
      .str("identity_type", address_type_name(d.id_address))
      .num("interval", d.interval)
      .str("interval_ms", interval_text(d))
      .num("latency", d.latency)
      .num("supervision_timeout_ms", d.supervision_timeout_ms())
      .boolean("encrypted", d.encrypted)
      .boolean("authenticated", d.authenticated)
      .boolean("bonded", d.bonded)
      .num("key_size", d.key_size)
      .num("mtu", d.mtu);
}

Json value_json(uint16_t handle, const std::vector<uint8_t>& v) {
  Json j;
  j.num("handle", handle).str("value", to_hex(v, "")).num("length", (long long)v.size());
  if (auto text = printable(v)) j.str("text", *text);
  return j;
}

std::string value_text(const std::vector<uint8_t>& v) {
  std::string s = v.empty() ? "(empty)" : to_hex(v);
  if (auto text = printable(v)) s += " \"" + *text + "\"";
  return s;
}

// What the pairing callbacks saw, for better error messages.
struct PairingNotes {
  std::atomic<bool> passkey_refused{false};
  std::atomic<bool> comparison_refused{false};
};

std::optional<uint32_t> prompt_passkey(Output& out, const ConnDesc& d) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  FILE* in = tty ? tty : stdin;
  std::string question =
      "passkey shown by " + d.address.to_string() + " (6 digits, empty to refuse): ";
  if (tty) {
    std::fputs(question.c_str(), tty);
    std::fflush(tty);
  } else {
    out.prompt(question);
  }
  char line[64] = {};
  bool got = std::fgets(line, sizeof line, in) != nullptr;
  if (tty) std::fclose(tty);
  if (!got) return std::nullopt;
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  char* end = nullptr;
  unsigned long n = std::strtoul(text.c_str(), &end, 10);
  if (text.empty() || text.size() > 6 || *end != '\0' || n > 999999) return std::nullopt;
  return uint32_t(n);
}

// A Device with the central's security settings and pairing callbacks.
class Session {
 public:
  Session(const Options& o, Output& out) : o_(o), out_(out) {}
  ~Session() {
    // Disconnect before the stack stops: btvirt tells the peer nothing when a
    // socket just closes, and the peripheral would never advertise again.
    if (client && client->connected()) (void)client->disconnect();
    client.reset();
    device.reset();
  }

  int open(bool secures) {
    // The stack logs warnings (e.g. "pairing failed") that the tool reports
    // itself as its one error line: keep them for -v.
    sable::DeviceOptions options = o_.device;
    if (options.verbosity == 0) options.verbosity = -1;
    auto taken = Device::take(options);
    if (!taken.ok()) return out_.fail(kExitFailed, std::string(taken.error().message));
    device = std::move(taken.value());
    if (auto warning = device->bond_store_warning())
      std::fprintf(stderr, "warning: bond store: %s\n", warning->c_str());
    if (secures) configure_security();
    return kExitOk;
  }

  // Finds the target (scanning unless the address comes with its type) and
  // connects to it.
  int connect(bool gatt_command) {
    milliseconds timeout = timeout_of(o_, 10);
    Address peer;
    const Target& t = o_.target;
    if (t.address && t.address_type_known) {
      peer = *t.address;
    } else {
      sable::ScanFilter filter;
      std::string what;
      if (t.address) {
        filter.address = t.address;
        what = "address " + t.address->to_string();
      } else {
        filter.name = t.name;
        if (!t.name.empty()) what = "name \"" + t.name + "\"";
        if (t.service && (!gatt_command || t.name.empty())) {
          filter.service = t.service;
          what += std::string(what.empty() ? "" : " and ") + "service " + t.service->to_string();
        }
      }
      out_.progress("scanning for " + what + "...");
      auto found = device->scanner().find(filter, timeout);
      if (!found.ok()) {
        if (found.error().kind == sable::ErrorKind::kTimeout)
          return out_.fail(kExitNotFound,
                           "no advertiser with " + what + " found within " + seconds_text(timeout));
        return out_.fail(exit_code_for(found.error()),
                         "scan: " + std::string(found.error().message));
      }
      peer = found->address;
      out_.progress("found " + found->to_string());
    }
    out_.progress("connecting to " + peer.to_string() + " (" + address_type_name(peer) + ")...");
    sable::ConnectOptions co;
    co.timeout = timeout;
    auto c = device->connect(peer, co);
    if (!c.ok()) {
      // The host's own deadline (kControllerTimeout, though Device::connect
      // documents kTimeout), or the controller giving up: Connection Failed to
      // be Established (0x3e).
      const sable::Error& e = c.error();
      if (e.kind == sable::ErrorKind::kTimeout || e.kind == sable::ErrorKind::kControllerTimeout ||
          (e.kind == sable::ErrorKind::kController && e.code == 0x3e))
        return out_.fail(kExitNotFound, "no connection to " + peer.to_string() + " within " +
                                            seconds_text(timeout));
      return out_.fail(exit_code_for(c.error()), "connection to " + peer.to_string() +
                                                     " failed: " + std::string(c.error().message));
    }
    client = std::move(c.value());
    auto desc = client->desc();
    if (!desc) return out_.fail(kExitFailed, "the link went down right after connecting");
    out_.result("connected: " + desc->to_string(), "connected", conn_json(*desc));
    return kExitOk;
  }

  // Ends the connection and says so.
  int disconnect(int code) {
    if (client && client->connected()) {
      auto r = client->disconnect();
      if (r.ok()) {
        out_.result("disconnected", "disconnected", Json());
      } else if (code == kExitOk) {
        code = out_.fail(kExitFailed, "disconnect: " + std::string(r.error().message));
      }
    }
    return code;
  }

  // A failed security step: the error, with a hint when the callbacks refused.
  int security_failure(const std::string& what, const sable::Error& e, bool pairing_step) {
    // The stack's messages often start with "pairing failed" already.
    std::string message(e.message);
    if (!e.message.starts_with(what)) message = what + ": " + message;
    if (notes_.passkey_refused)
      message += " (the peer asked for a passkey: give --passkey N or --passkey-prompt)";
    else if (notes_.comparison_refused)
      message += " (numeric comparison refused: give --yes to accept it)";
    int code = exit_code_for(e);
    if (pairing_step && code == kExitFailed && e.kind != sable::ErrorKind::kDisconnected)
      code = kExitAuth;
    if (pairing_step && e.kind == sable::ErrorKind::kDisconnected) code = kExitAuth;
    return out_.fail(code, message);
  }

  // Whether the store holds a bond with the connected peer's identity.
  bool peer_bonded() {
    auto desc = client->desc();
    if (!desc) return false;
    for (const auto& b : device->bonds())
      if (b.identity.bytes == desc->id_address.bytes) return true;
    return false;
  }

  std::unique_ptr<Device> device;
  std::unique_ptr<Client> client;

 private:
  void configure_security() {
    sable::Security& sec = device->security();
    sec.set_auth(
           sable::AuthReq(sable::AuthReq::kBond | sable::AuthReq::kMitm | sable::AuthReq::kSc))
        .set_io_cap(sable::IoCap::KeyboardDisplay);
    const Options& o = o_;
    Output& out = out_;
    PairingNotes& notes = notes_;
    sec.on_passkey_request([&o, &out, &notes](const ConnDesc& d) -> std::optional<uint32_t> {
      if (o.passkey) {
        out.progress("pairing: entering the passkey given with --passkey");
        return o.passkey;
      }
      if (o.passkey_prompt) {
        auto p = prompt_passkey(out, d);
        if (!p) notes.passkey_refused = true;
        return p;
      }
      notes.passkey_refused = true;
      return std::nullopt;
    });
    sec.on_passkey_display([&out](const ConnDesc& d, uint32_t passkey) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%06u", passkey);
      out.result(std::string("pairing: enter passkey ") + buf + " on " + d.address.to_string(),
                 "passkey_display",
                 Json().str("address", d.address.to_string()).str("passkey", buf));
    });
    sec.on_numeric_comparison([&o, &out, &notes](const ConnDesc& d, uint32_t value) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%06u", value);
      out.result(std::string("pairing: numeric comparison ") + buf +
                     (o.yes ? " (accepted: --yes)" : " (refused: no --yes)"),
                 "numeric_comparison",
                 Json()
                     .str("address", d.address.to_string())
                     .str("value", buf)
                     .boolean("accepted", o.yes));
      if (!o.yes) notes.comparison_refused = true;
      return o.yes;
    });
  }

  const Options& o_;
  Output& out_;
  PairingNotes notes_;
};

// Finds the characteristic; a missing service/characteristic is "not found".
int find_characteristic(Session& s, const Options& o, Output& out,
                        sable::RemoteCharacteristic* found) {
  auto c = s.client->find_characteristic(*o.target.service, *o.characteristic);
  if (!c.ok()) {
    int code = c.error().kind == sable::ErrorKind::kBadArgument ? int(kExitNotFound)
                                                                : exit_code_for(c.error());
    return out.fail(code, "discovery: " + std::string(c.error().message));
  }
  *found = c.value();
  char buf[96];
  std::snprintf(buf, sizeof buf, "characteristic %s: value handle 0x%04x properties 0x%02x",
                o.characteristic->to_string().c_str(), found->value_handle, found->properties);
  out.progress(buf);
  s.client->set_auto_secure(!o.no_auto_secure);
  return kExitOk;
}

// Reports a GATT operation's failure; security errors get a hint.
int gatt_failure(Session& s, const Options& o, const std::string& what, const sable::Error& e) {
  bool securing = e.kind == sable::ErrorKind::kPairingFailed ||
                  (e.kind == sable::ErrorKind::kController && exit_code_for(e) == kExitAuth);
  sable::Error shown = e;
  if (!securing && exit_code_for(e) == kExitAuth && o.no_auto_secure)
    shown.message += " (not paired or encrypted: --no-auto-secure)";
  return s.security_failure(securing ? what + " (securing the link)" : what, shown, securing);
}

void note_security_change(Session& s, Output& out, bool was_encrypted) {
  auto desc = s.client->desc();
  if (desc && desc->encrypted && !was_encrypted)
    out.result("secured: " + desc->to_string(), "secured", conn_json(*desc));
}

}  // namespace

int run_scan(const Options& o, Output& out) {
  Session s(o, out);
  if (int r = s.open(false)) return r;
  milliseconds timeout = timeout_of(o, 5);

  std::mutex mutex;
  std::condition_variable cv;
  std::deque<sable::ScanResult> queue;
  sable::ScanOptions so;
  so.filter.name = o.target.name;
  so.filter.service = o.target.service;
  so.filter.address = o.target.address;
  so.filter_duplicates = false;  // the scan response comes merged in a second report
  auto started = s.device->scanner().start(so, [&](const sable::ScanResult& r) {
    std::lock_guard lock(mutex);
    queue.push_back(r);
    cv.notify_one();
  });
  if (!started.ok())
    return out.fail(exit_code_for(started.error()), std::string(started.error().message));
  out.progress("scanning for " + seconds_text(timeout) + "...");

  struct Seen {
    sable::ScanResult result;
    Clock::time_point first;
    bool printed = false;
  };
  std::map<std::string, Seen> seen;
  auto print = [&out](Seen& e) {
    e.printed = true;
    const sable::ScanResult& r = e.result;
    std::vector<std::string> services;
    for (const auto& u : r.services) services.push_back(u.to_string());
    Json j;
    j.str("address", r.address.to_string())
        .str("address_type", address_type_name(r.address))
        .num("rssi", r.rssi)
        .str("name", r.name)
        .strings("services", services)
        .boolean("connectable", r.connectable);
    out.result("device " + r.to_string(), "device", j);
  };
  // A scannable advertiser is reported again with its scan response merged in:
  // wait up to this long for a name before printing what there is.
  const milliseconds kMergeWait(1000);
  const auto end = Clock::now() + timeout;
  while (!interrupted()) {
    std::deque<sable::ScanResult> batch;
    {
      std::unique_lock lock(mutex);
      cv.wait_for(lock, milliseconds(100), [&] { return !queue.empty(); });
      batch.swap(queue);
    }
    auto now = Clock::now();
    for (auto& r : batch) {
      auto [it, added] = seen.try_emplace(r.address.to_string(), Seen{r, now, false});
      Seen& e = it->second;
      if (e.printed) continue;
      if (!added) {
        std::string name = r.name.empty() ? e.result.name : r.name;
        auto services = e.result.services;
        for (const auto& u : r.services)
          if (std::find(services.begin(), services.end(), u) == services.end())
            services.push_back(u);
        e.result = r;
        e.result.name = name;
        e.result.services = services;
      }
      if (!e.result.name.empty()) print(e);
    }
    for (auto& [key, e] : seen)
      if (!e.printed && (now - e.first >= kMergeWait || now >= end)) print(e);
    if (now >= end) break;
  }
  (void)s.device->scanner().stop();
  for (auto& [key, e] : seen)
    if (!e.printed) print(e);
  if (interrupted()) return out.fail(kExitFailed, "interrupted");
  out.progress(std::to_string(seen.size()) + " device(s) found");
  bool filtered = !o.target.name.empty() || o.target.service || o.target.address;
  if (filtered && seen.empty())
    return out.fail(kExitNotFound,
                    "no advertiser matched the filter within " + seconds_text(timeout));
  return kExitOk;
}

int run_connect(const Options& o, Output& out) {
  Session s(o, out);
  if (int r = s.open(false)) return r;
  if (int r = s.connect(false)) return r;
  return s.disconnect(kExitOk);
}

int run_read(const Options& o, Output& out) {
  Session s(o, out);
  if (int r = s.open(true)) return r;
  if (int r = s.connect(true)) return r;
  sable::RemoteCharacteristic c;
  if (int r = find_characteristic(s, o, out, &c)) return r;
  bool was_encrypted = s.client->desc() && s.client->desc()->encrypted;
  auto v = s.client->read(c.value_handle);
  if (!v.ok()) return gatt_failure(s, o, "read", v.error());
  note_security_change(s, out, was_encrypted);
  out.result("value: " + value_text(v.value()), "read", value_json(c.value_handle, v.value()));
  return s.disconnect(kExitOk);
}

int run_write(const Options& o, Output& out) {
  Session s(o, out);
  if (int r = s.open(true)) return r;
  if (int r = s.connect(true)) return r;
  sable::RemoteCharacteristic c;
  if (int r = find_characteristic(s, o, out, &c)) return r;
  bool was_encrypted = s.client->desc() && s.client->desc()->encrypted;
  auto w = s.client->write(c.value_handle, *o.value, !o.no_response);
  if (!w.ok()) return gatt_failure(s, o, "write", w.error());
  note_security_change(s, out, was_encrypted);
  Json j = value_json(c.value_handle, *o.value);
  j.boolean("with_response", !o.no_response);
  out.result("wrote " + std::to_string(o.value->size()) + " byte(s)" +
                 (o.no_response ? " (without response)" : "") + ": " + value_text(*o.value),
             "written", j);
  return s.disconnect(kExitOk);
}

int run_subscribe(const Options& o, Output& out) {
  Session s(o, out);
  if (int r = s.open(true)) return r;
  if (int r = s.connect(true)) return r;
  sable::RemoteCharacteristic c;
  if (int r = find_characteristic(s, o, out, &c)) return r;
  if (c.cccd_handle == 0)
    return out.fail(kExitFailed, "characteristic " + o.characteristic->to_string() +
                                     " cannot notify (it has no CCCD)");
  // A peer may accept the subscription on a plain link yet withhold the values
  // until it is encrypted: secure first when that cannot cost a prompt.
  bool was_encrypted = s.client->desc() && s.client->desc()->encrypted;
  if (!o.no_auto_secure && !was_encrypted &&
      (s.peer_bonded() || o.passkey || o.passkey_prompt || o.yes)) {
    if (auto r = s.client->secure(); !r.ok())
      return s.security_failure("securing the link", r.error(), true);
  }
  note_security_change(s, out, was_encrypted);

  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::vector<uint8_t>> values;
  bool down = false;
  uint8_t down_reason = 0;
  s.client->on_disconnect([&](uint8_t reason) {
    std::lock_guard lock(mutex);
    down = true;
    down_reason = reason;
    cv.notify_one();
  });
  was_encrypted = s.client->desc() && s.client->desc()->encrypted;
  auto sub = s.client->subscribe(c, [&](std::span<const uint8_t> v) {
    std::lock_guard lock(mutex);
    values.emplace_back(v.begin(), v.end());
    cv.notify_one();
  });
  if (!sub.ok()) return gatt_failure(s, o, "subscribe", sub.error());
  note_security_change(s, out, was_encrypted);
  char handles[48];
  std::snprintf(handles, sizeof handles, " (value handle 0x%04x, CCCD 0x%04x)", c.value_handle,
                c.cccd_handle);
  out.result("subscribed to " + o.characteristic->to_string() + handles, "subscribed",
             Json().num("handle", c.value_handle).num("cccd", c.cccd_handle));

  milliseconds timeout = timeout_of(o, 10);
  const auto end = Clock::now() + timeout;
  unsigned received = 0;
  bool link_down = false;
  while (received < *o.count && !interrupted()) {
    std::deque<std::vector<uint8_t>> batch;
    {
      std::unique_lock lock(mutex);
      cv.wait_until(lock, std::min(end, Clock::now() + milliseconds(100)),
                    [&] { return !values.empty() || down; });
      batch.swap(values);
      link_down = down;
    }
    for (auto& v : batch) {
      if (received >= *o.count) break;
      ++received;
      Json j = value_json(c.value_handle, v);
      j.num("index", received);
      out.result("notification " + std::to_string(received) + "/" + std::to_string(*o.count) +
                     ": " + value_text(v),
                 "notification", j);
    }
    if (received >= *o.count) break;
    if (link_down) {
      char reason[8];
      std::snprintf(reason, sizeof reason, "0x%02x", down_reason);
      return out.fail(kExitFailed, "the link went down (reason " + std::string(reason) +
                                       ") after " + std::to_string(received) + " of " +
                                       std::to_string(*o.count) + " notifications");
    }
    if (Clock::now() >= end) break;
  }
  if (received < *o.count) {
    if (interrupted()) return s.disconnect(out.fail(kExitFailed, "interrupted"));
    return s.disconnect(out.fail(
        kExitNotFound, "only " + std::to_string(received) + " of " + std::to_string(*o.count) +
                           " notifications within " + seconds_text(timeout)));
  }
  return s.disconnect(kExitOk);
}

int run_pair(const Options& o, Output& out) {
  Session s(o, out);
  if (int r = s.open(true)) return r;
  if (int r = s.connect(false)) return r;
  out.progress("pairing...");
  if (auto r = s.client->pair(); !r.ok())
    return s.security_failure("pairing failed", r.error(), true);
  auto desc = s.client->desc();
  if (!desc) return out.fail(kExitFailed, "the link went down after pairing");
  bool sc = false, irk = false, bonded = false;
  for (const auto& b : s.device->bonds()) {
    if (b.identity.bytes != desc->id_address.bytes) continue;
    bonded = true;
    sc = b.secure_connections;
    irk = b.has_irk;
  }
  bool identity_learned = irk || desc->id_address.bytes != desc->address.bytes;
  char line[400];
  std::snprintf(line, sizeof line,
                "paired: authenticated %s, secure connections %s, key size %u, bonded %s, "
                "identity %s (%s)%s, on air %s (%s)",
                desc->authenticated ? "yes" : "no", sc ? "yes" : "no", unsigned(desc->key_size),
                bonded ? "yes" : "no", desc->id_address.to_string().c_str(),
                address_type_name(desc->id_address), identity_learned ? " learned" : "",
                desc->address.to_string().c_str(), address_type_name(desc->address));
  Json j = conn_json(*desc);
  j.boolean("secure_connections", sc).boolean("identity_learned", identity_learned);
  j.boolean("irk", irk).boolean("stored", bonded);
  out.result(line, "paired", j);
  return s.disconnect(kExitOk);
}

}  // namespace sable_cli

// A snapshot of one connection, as handed to on_connect/on_disconnect.
#pragma once

#include <cstdint>
#include <string>

#include "sable/address.hpp"
#include "sable/fixed_text.hpp"

namespace sable {

enum class Role : uint8_t { kCentral = 0, kPeripheral = 1 };

struct ConnDesc {
  uint16_t handle = 0;
  Role role = Role::kPeripheral;
  Address address;        // the peer's address on air (may be a resolvable private address)
  Address id_address;     // the peer's identity address once known (else == address)
  uint16_t interval = 0;  // units of 1.25 ms
  uint16_t latency = 0;   // connection events
  uint16_t supervision_timeout = 0;  // units of 10 ms
  bool encrypted = false;
  bool authenticated = false;       // MITM-protected key
  bool secure_connections = false;  // the key comes from LE Secure Connections
  bool bonded = false;
  uint8_t key_size = 0;
  uint16_t mtu = 23;
  // Which link this is: the controller reuses handles after a disconnection,
  // so a handle kept by the application names a link only with its
  // generation (counts the host's connections from 1).
  uint32_t generation = 0;

  double interval_ms() const { return interval * 1.25; }
  int supervision_timeout_ms() const { return supervision_timeout * 10; }
  // One line: "handle 0x0040 peer 00:AA:01:01:00:42 (public) id ... interval 30.00 ms ..."
  std::string to_string() const;
  FixedText<400> text() const;  // the same, without the heap
};

}  // namespace sable

// Compile-time capacities of the HCI layer: its state is sized here, once, so
// that nothing is allocated after start-up.
#pragma once

#include <cstddef>

namespace sable::hci {

// Commands waiting for a credit or in flight at once (CommandChannel). The
// host's largest burst comes right after bring-up: the resolving list (address
// resolution off, clear, one add per bond with an IRK: 16 bonds by default,
// on) followed by advertising (random address, parameters, data, scan
// response, enable) is 24; per-link commands (LTK reply, connection update,
// disconnect) come one or two per event. A full channel fails the command at
// once with Memory Capacity Exceeded.
inline constexpr size_t kMaxPendingCommands = 32;

// Octets of the packets of queued commands (sent ones keep only their opcode):
// the burst above is under 800 octets; room for at least one command with the
// largest parameters (3 + 255).
inline constexpr size_t kCommandQueueOctets = 1024;

}  // namespace sable::hci

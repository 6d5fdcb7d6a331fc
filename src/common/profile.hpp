// The build profile: which parts of the host this build has, chosen at
// configure time (CMake options SABLE_ROLES, SABLE_GATT_CLIENT; see
// cmake/SableProfile.cmake) and read here once as constants. Code asks with
// `if constexpr`, so a part that is off is never referenced and its
// translation units are not linked (a peripheral-only firmware carries no
// scanner, connector or GATT client).
#pragma once

#ifndef SABLE_PERIPHERAL_ROLE
#define SABLE_PERIPHERAL_ROLE 1
#endif
#ifndef SABLE_CENTRAL_ROLE
#define SABLE_CENTRAL_ROLE 1
#endif
#ifndef SABLE_GATT_CLIENT
#define SABLE_GATT_CLIENT 1
#endif

namespace sable::profile {

// Advertising and accepting connections (Core 5.4 Vol 3 Part C 2.2.2.3).
inline constexpr bool kPeripheralRole = SABLE_PERIPHERAL_ROLE != 0;
// Scanning and initiating connections.
inline constexpr bool kCentralRole = SABLE_CENTRAL_ROLE != 0;
// The GATT client on each link (discovery, reads, writes, subscriptions).
inline constexpr bool kGattClient = SABLE_GATT_CLIENT != 0;

static_assert(kPeripheralRole || kCentralRole, "a host needs at least one role");

}  // namespace sable::profile

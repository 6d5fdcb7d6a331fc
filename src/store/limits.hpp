// How many bonds a store holds and how many CCCD values a bond keeps: fixed at
// configure time (cmake/SableProfile.cmake, sable_store_limits) so that the
// store lives in fixed arrays and allocates nothing after start-up. The Linux
// build keeps generous defaults; the firmware (ports/cortex-m4) a few.
#pragma once

#include <cstddef>

#ifndef SABLE_STORE_MAX_BONDS
#define SABLE_STORE_MAX_BONDS 256
#endif
#ifndef SABLE_STORE_MAX_CCCDS_PER_BOND
#define SABLE_STORE_MAX_CCCDS_PER_BOND 64
#endif

namespace sable::store {

// Bonds one store can hold (its capacity is chosen in 1..kMaxBonds).
inline constexpr size_t kMaxBonds = SABLE_STORE_MAX_BONDS;
// CCCD values one bond keeps (one per CCCD of our GATT database the peer
// configured, Core 5.4 Vol 3 Part G 3.3.3.3).
inline constexpr size_t kMaxCccdsPerBond = SABLE_STORE_MAX_CCCDS_PER_BOND;

// The format's own limits (store/codec.hpp): what any build reads back.
inline constexpr size_t kFormatMaxBonds = 1024;
inline constexpr size_t kFormatMaxCccds = 512;

static_assert(kMaxBonds >= 1 && kMaxBonds <= kFormatMaxBonds, "SABLE_STORE_MAX_BONDS: 1..1024");
static_assert(kMaxCccdsPerBond >= 1 && kMaxCccdsPerBond <= kFormatMaxCccds,
              "SABLE_STORE_MAX_CCCDS_PER_BOND: 1..512");

}  // namespace sable::store

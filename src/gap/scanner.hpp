// Central role, discovery (Core 5.4 Vol 3 Part C 9.2, Vol 4 Part E 7.8.10,
// 7.8.11, 7.7.65.2): scanning, with each scan response merged into the report
// of the advertisement it answers, and bonded peers' private addresses
// resolved to their identity.
#pragma once

#include <vector>

#include "gap/host_context.hpp"
#include "gap/host_listener.hpp"
#include "gap/privacy.hpp"
#include "sable/error.hpp"
#include "sable/result.hpp"

namespace sable::gap {

class Scanner {
 public:
  Scanner(HostContext& ctx, Privacy& privacy, HostListener& listener)
      : ctx_(ctx), privacy_(privacy), listener_(listener) {}

  Result<void, Error> start(const ScanConfig& config);
  Result<void, Error> stop();
  bool scanning() const { return wanted_; }
  // LE Advertising Report parameters (after the subevent code).
  void on_advertising_report(Bytes params);

 private:
  struct PendingAdvert {
    Address address;
    ScanReport report;
  };
  static constexpr size_t kMaxPending = 32;

  HostContext& ctx_;
  Privacy& privacy_;
  HostListener& listener_;
  bool wanted_ = false;
  bool active_ = false;
  std::vector<PendingAdvert> pending_;  // waiting for a scan response (bounded)
};

}  // namespace sable::gap

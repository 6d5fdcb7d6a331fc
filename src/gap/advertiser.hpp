// The peripheral's advertising (Core 5.4 Vol 4 Part E 7.8.5-7.8.9, Vol 6
// Part B 4.4.2): what the application wants (data, interval, on/off) brought
// to the controller, restarted after a connection while below the peripheral
// link limit, and our resolvable private address made and rotated (Core 5.4
// Vol 6 Part B 1.3.2.2, Vol 3 Part C 10.7.2).
#pragma once

#include <cstddef>
#include <optional>

#include "gap/advertising_data.hpp"
#include "gap/host_context.hpp"
#include "gap/privacy.hpp"
#include "sable/address.hpp"
#include "sable/error.hpp"
#include "sable/result.hpp"

namespace sable::gap {

class Advertiser {
 public:
  Advertiser(HostContext& ctx, Privacy& privacy) : ctx_(ctx), privacy_(privacy) {}

  Result<void, Error> set_data(const AdvertisementData& data);
  Result<void, Error> set_interval(uint16_t min_units, uint16_t max_units);
  void start() { wanted_ = true; }
  void stop() { wanted_ = false; }
  bool on() const { return on_; }

  // The address peers see while we advertise: the RPA with privacy on.
  Address own_address() const;
  const std::optional<Address>& private_address() const { return private_address_; }

  // Brings the controller to what is wanted, given how many peripheral links
  // are open. Call after every change that may matter.
  void refresh(size_t peripheral_links);
  // The controller stopped advertising by itself (a peripheral connection was
  // made, Core 5.4 Vol 6 Part B 4.4.2.9) or failed.
  void stopped_by_controller() { on_ = false; }
  // Privacy was switched on or off.
  void on_privacy_changed();
  // The host failed: nothing is on any more.
  void on_controller_failed() { on_ = false; }

  TimePoint next_deadline() const { return rpa_deadline_; }
  // Time to replace the private address: pauses advertising to change it.
  void on_timeout(TimePoint now);

 private:
  bool privacy_on() const;
  void make_private_address();
  // Pauses advertising (the answer refreshes again).
  void disable();
  // Gives the controller both payloads; `warn` logs a refusal.
  void send_data(bool warn);

  HostContext& ctx_;
  Privacy& privacy_;
  bool wanted_ = false;
  bool on_ = false;
  bool busy_ = false;  // commands in flight
  bool dirty_ = true;  // parameters or data not yet given to the controller
  AdvertisingPayload payload_{};
  std::optional<Address> private_address_;
  TimePoint rpa_deadline_ = kNever;
  size_t peripheral_links_ = 0;  // as of the last refresh
};

}  // namespace sable::gap

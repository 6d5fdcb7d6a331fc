#include "gap/advertiser.hpp"

#include "common/log.hpp"
#include "hci/commands.hpp"
#include "smp/toolbox.hpp"

namespace sable::gap {

Result<void, Error> Advertiser::set_data(const AdvertisementData& data) {
  auto layout = layout_advertising_data(data);
  if (!layout.ok())
    return refuse(ErrorKind::kDoesNotFit,
                  "advertising data does not fit: the name and fields exceed 31 octets in "
                  "both the advertising packet and the scan response");
  payload_ = *layout;
  dirty_ = true;
  return accepted();
}

Result<void, Error> Advertiser::set_interval(uint16_t min_units, uint16_t max_units) {
  if (min_units < 0x0020 || max_units > 0x4000 || min_units > max_units)
    return refuse(ErrorKind::kBadArgument,
                  "advertising interval must be 0x0020..0x4000 units of 0.625 ms, min <= max");
  ctx_.config.advertising_interval_min = min_units;
  ctx_.config.advertising_interval_max = max_units;
  dirty_ = true;  // parameters are sent with the data on the next enable
  return accepted();
}

Address Advertiser::own_address() const {
  return private_address_ ? *private_address_ : ctx_.controller.bd_addr;
}

bool Advertiser::privacy_on() const {
  return ctx_.config.security.resolvable_private_address && privacy_.local_irk().has_value();
}

void Advertiser::on_privacy_changed() {
  if (!ctx_.config.security.resolvable_private_address) {
    private_address_.reset();
    rpa_deadline_ = kNever;
  }
  dirty_ = true;
}

// A new resolvable private address: prand (top bits 0b01) and hash = ah(IRK,
// prand) (Core 5.4 Vol 6 Part B 1.3.2.2).
void Advertiser::make_private_address() {
  smp::PRand prand;
  ctx_.random.fill(prand);
  prand[2] = uint8_t((prand[2] & 0x3F) | 0x40);  // 0b01: resolvable private
  smp::AddressHash hash = smp::ah(*privacy_.local_irk(), prand);
  Address rpa;
  rpa.type = AddressType::kRandom;
  rpa.bytes = {hash[0], hash[1], hash[2], prand[0], prand[1], prand[2]};
  private_address_ = rpa;
  rpa_deadline_ = ctx_.now + ctx_.config.rpa_rotation;
  ctx_.send_or_warn(hci::le_set_random_address(rpa), "LE_Set_Random_Address");
  dirty_ = true;
}

// The controller takes a new random address only while advertising is off,
// so advertising is paused around the change.
void Advertiser::on_timeout(TimePoint now) {
  if (now < rpa_deadline_) return;
  rpa_deadline_ = kNever;
  if (!privacy_on()) return;
  private_address_.reset();
  dirty_ = true;
  if (on_ && !busy_) disable();
}

void Advertiser::disable() {
  busy_ = true;
  ctx_.send_command(hci::le_set_advertising_enable(false), [this](const hci::CommandResult& r) {
    busy_ = false;
    if (r.ok()) on_ = false;
    refresh(peripheral_links_);
  });
}

// The data of both payloads; layout_advertising_data keeps each within 31
// octets, so the commands always build.
void Advertiser::send_data(bool warn) {
  for (bool scan_rsp : {false, true}) {
    auto cmd = scan_rsp ? hci::le_set_scan_response_data(payload_.scan_response_data())
                        : hci::le_set_advertising_data(payload_.adv_data());
    if (!cmd.ok()) continue;
    const char* what = scan_rsp ? "LE_Set_Scan_Response_Data" : "LE_Set_Advertising_Data";
    ctx_.send_or_warn(*cmd, warn ? what : nullptr);
  }
  dirty_ = false;
}

// Brings the controller's advertising state to what is wanted: on when the
// application asked for it and a peripheral link is free, off otherwise.
void Advertiser::refresh(size_t peripheral_links) {
  peripheral_links_ = peripheral_links;
  if (!ctx_.ready || ctx_.failed || busy_) return;
  bool want_on = wanted_ && peripheral_links < ctx_.config.max_peripheral_connections;
  if (want_on && !on_) {
    busy_ = true;
    hci::AdvertisingParameters p;
    p.interval_min = ctx_.config.advertising_interval_min;
    p.interval_max = ctx_.config.advertising_interval_max;
    p.advertising_type = 0x00;  // ADV_IND: connectable and scannable undirected
    p.own_address_type = 0x00;
    if (privacy_on()) {
      if (!private_address_) make_private_address();
      p.own_address_type = 0x01;  // random: the RPA set above
    }
    if (dirty_) {
      ctx_.send_or_warn(hci::le_set_advertising_parameters(p), "LE_Set_Advertising_Parameters");
      send_data(true);
    }
    ctx_.send_command(hci::le_set_advertising_enable(true), [this](const hci::CommandResult& r) {
      busy_ = false;
      on_ = r.ok();
      if (!r.ok() && !r.timed_out)
        SABLE_LOG_WARN("%s", hci_error("LE_Set_Advertising_Enable", r.status).c_str());
      else if (r.ok())
        SABLE_LOG_INFO("advertising");
      refresh(peripheral_links_);
    });
  } else if (!want_on && on_ && !wanted_) {
    disable();
  } else if (want_on && on_ && dirty_) {
    // New data while advertising: the controller accepts data updates in place.
    send_data(false);
  }
}

}  // namespace sable::gap

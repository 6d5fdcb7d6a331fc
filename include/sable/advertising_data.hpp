// What a peripheral puts in its advertising and scan response packets.
// The builder mirrors esp32-nimble's BLEAdvertisementData:
//   AdvertisementData().name("ESP32 Server").add_service_uuid(uuid)
// The stack lays it out (Core Supplement Part A 1): flags and service UUIDs
// in the advertising packet, the name moved to the scan response if the
// advertising packet's 31 octets cannot hold everything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sable/uuid.hpp"

namespace sable {

class AdvertisementData {
 public:
  AdvertisementData& name(std::string complete_local_name) {
    name_ = std::move(complete_local_name);
    return *this;
  }
  AdvertisementData& add_service_uuid(const Uuid& uuid) {
    service_uuids_.push_back(uuid);
    return *this;
  }
  AdvertisementData& appearance(uint16_t value) {
    appearance_ = value;
    return *this;
  }
  AdvertisementData& tx_power(int8_t dbm) {
    tx_power_ = dbm;
    return *this;
  }
  // Company identifier (assigned number) followed by the payload.
  AdvertisementData& manufacturer_data(uint16_t company_id, std::vector<uint8_t> data) {
    manufacturer_ = Manufacturer{company_id, std::move(data)};
    return *this;
  }
  // LE General Discoverable + BR/EDR Not Supported by default (Core Supplement Part A 1.3).
  AdvertisementData& flags(uint8_t value) {
    flags_ = value;
    return *this;
  }

  struct Manufacturer {
    uint16_t company_id;
    std::vector<uint8_t> data;
  };
  const std::string& name() const { return name_; }
  const std::vector<Uuid>& service_uuids() const { return service_uuids_; }
  std::optional<uint16_t> appearance() const { return appearance_; }
  std::optional<int8_t> tx_power() const { return tx_power_; }
  const std::optional<Manufacturer>& manufacturer() const { return manufacturer_; }
  uint8_t flags() const { return flags_; }

 private:
  std::string name_;
  std::vector<Uuid> service_uuids_;
  std::optional<uint16_t> appearance_;
  std::optional<int8_t> tx_power_;
  std::optional<Manufacturer> manufacturer_;
  uint8_t flags_ = 0x06;
};

}  // namespace sable

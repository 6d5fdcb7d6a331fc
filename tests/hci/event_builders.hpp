// Builders of controller → host event packets for tests (Core 5.4 Vol 4 Part E 7.7).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "hci/opcodes.hpp"
#include "hci/status.hpp"

namespace sable::hci::testing {

// Event code, parameter length, parameters.
inline std::vector<uint8_t> event(uint8_t code, std::vector<uint8_t> params) {
  std::vector<uint8_t> p = {code, uint8_t(params.size())};
  for (uint8_t b : params) p.push_back(b);
  return p;
}

// Command Complete: Num_HCI_Command_Packets, opcode, return parameters (status first).
inline std::vector<uint8_t> command_complete(uint8_t credits, uint16_t opcode,
                                             std::vector<uint8_t> return_params) {
  std::vector<uint8_t> params = {credits, uint8_t(opcode), uint8_t(opcode >> 8)};
  for (uint8_t b : return_params) params.push_back(b);
  return event(ev::kCommandComplete, params);
}

// Command Status: status, Num_HCI_Command_Packets, opcode.
inline std::vector<uint8_t> command_status(HciStatus status, uint8_t credits, uint16_t opcode) {
  return event(ev::kCommandStatus,
               {uint8_t(status), credits, uint8_t(opcode), uint8_t(opcode >> 8)});
}

}  // namespace sable::hci::testing

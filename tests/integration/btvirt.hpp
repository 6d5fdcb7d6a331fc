// Helpers for tests that run against BlueZ's btvirt (tools/virtual-radio):
// a private radio per test, a child process, and a raw HCI client that plays
// an independent central with byte-level HCI (no sable host code involved).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/hci_packet_type.hpp"
#include "transport/transport.hpp"

namespace sable::testing {

// Runs `cmd` through the shell, returns its exit status and stdout.
int run_command(const std::string& cmd, std::string* out = nullptr);

class VirtualRadio {
 public:
  // emulator: "stock" or "patched" (vradio --emulator); empty: vradio's
  // default, which SABLE_VRADIO_EMULATOR chooses (ctest's patched.* runs).
  explicit VirtualRadio(std::string emulator = "");
  ~VirtualRadio();
  bool ok() const { return !socket_.empty(); }
  // Stops btvirt (every client loses its controller) and starts a new one in
  // the same directory, at the same socket path.
  bool restart();
  void stop();
  const std::string& le_socket() const { return socket_; }
  const std::string& dir() const { return dir_; }
  std::string log() const;

 private:
  bool start();
  std::string emulator_;
  std::string dir_;
  std::string socket_;
};

// A child process with its stdout+stderr captured to a file.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& output_path);
  ~ChildProcess();
  bool running();
  // Waits up to `timeout` for the process to exit; returns its exit code or nullopt.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  void terminate();
  std::string output() const;
  // Waits until the output contains `text`.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout);

 private:
  int pid_ = -1;
  std::optional<int> status_;
  std::string output_path_;
};

struct HciPacket {
  HciPacketType type;
  std::vector<uint8_t> bytes;
};

// A minimal blocking HCI client: send a command, wait for its Command
// Complete/Status, wait for events or ACL matching a predicate.
class RawHci {
 public:
  explicit RawHci(const std::string& spec);
  bool ok() const { return transport_ != nullptr; }
  // Sends an HCI command (opcode + params); returns the Command Complete
  // return parameters (status first) or the Command Status status as one octet.
  std::optional<std::vector<uint8_t>> command(
      uint16_t opcode, std::vector<uint8_t> params = {},
      std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  void send_acl(uint16_t handle, const std::vector<uint8_t>& l2cap_pdu);
  // Sends an ATT PDU on CID 4 of `handle`.
  void send_att(uint16_t handle, const std::vector<uint8_t>& att_pdu);
  // Waits for a packet matching pred; earlier non-matching packets are kept
  // for later waits.
  std::optional<HciPacket> wait(const std::function<bool(const HciPacket&)>& pred,
                                std::chrono::milliseconds timeout);
  // LE Meta subevent with the given code.
  std::optional<HciPacket> wait_le_event(uint8_t subevent, std::chrono::milliseconds timeout);
  std::optional<HciPacket> wait_event(uint8_t code, std::chrono::milliseconds timeout);
  // Next ATT PDU (payload of CID 4) received on `handle`.
  std::optional<std::vector<uint8_t>> wait_att(uint16_t handle, std::chrono::milliseconds timeout);
  // Brings the controller up: Reset, event masks.
  bool reset();

 private:
  bool pump(std::chrono::milliseconds timeout);
  std::unique_ptr<Transport> transport_;
  std::vector<HciPacket> pending_;
};

}  // namespace sable::testing

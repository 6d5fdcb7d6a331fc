// Byte movers between the host and a controller: H4 over a stream (unix
// socket, TCP, tty) and the Linux HCI user channel. No HCI semantics here
// beyond the H4 packet indicator and header lengths.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/hci_packet_type.hpp"
#include "sable/result.hpp"
#include "transport/h4.hpp"

namespace sable {

// One line, human readable, including the OS error where there is one.
struct TransportError {
  std::string message;
};

class Transport {
 public:
  using Sink = std::function<void(HciPacketType type, Bytes packet)>;

  virtual ~Transport();

  // Pollable for readability; call receive() when it is readable.
  virtual int fd() const = 0;

  // Sends one HCI packet (header and payload, without the indicator). The
  // indicator and packet go out in one write: btvirt mis-parses H4 that
  // arrives in pieces. Blocks at most kSendStallTimeout waiting for room.
  virtual Result<void, TransportError> send(HciPacketType type, Bytes packet) = 0;

  // Reads what is available without blocking and calls sink for each
  // complete packet (view valid during the call only). An error means the
  // link to the controller is gone (or the fd failed); it is not retried.
  virtual Result<void, TransportError> receive(const Sink& sink) = 0;

  // E.g. "unix:/tmp/bt-server-le"; for logs and error messages.
  virtual std::string describe() const = 0;
};

// How long send() waits for the fd to become writable again after a partial
// write before giving up with "controller is not accepting data".
inline constexpr int kSendStallTimeoutMs = 2000;

// Opens a controller from a --hci spec:
//   unix:PATH                   H4 over a unix stream socket (e.g. btvirt -s)
//   tcp:HOST:PORT               H4 over TCP (TCP_NODELAY)
//   uart:DEV[:BAUD[:rtscts]]    H4 over a tty, raw, default 115200 8N1
//   user:N                      Linux HCI user channel of hciN (needs root)
Result<std::unique_ptr<Transport>, TransportError> open_transport(std::string_view spec);

// Wraps an already open stream fd (socketpair, pipe-like tty) carrying H4;
// takes ownership and sets O_NONBLOCK. `accepted` is what the peer may send:
// a host accepts what a controller sends (the default); a relay playing the
// controller toward a host passes H4PacketTypes::to_controller().
std::unique_ptr<Transport> make_stream_transport(
    int fd, std::string description, H4PacketTypes accepted = H4PacketTypes::from_controller());

}  // namespace sable

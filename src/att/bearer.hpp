// One ATT bearer: the ATT fixed channel of one LE link (Core 5.4 Vol 3 Part F).
// Sans-I/O: PDUs in through on_pdu(now, ...), out through BearerDelegate::send,
// time only through next_deadline() / on_timeout(now).
//
// The bearer owns what the client and the server of one link share:
// - ATT_MTU, one value for both roles (Vol 3 Part F 3.4.2): min(Client Rx
//   MTU, Server Rx MTU) once exchanged in either direction, never changed
//   afterwards. It answers Exchange MTU Requests itself, and applies the MTU
//   of our own Exchange MTU Request when its response arrives.
// - classification (Vol 3 Part F 3.3, 3.4.8, 3.4.9): requests and commands go
//   to the ServerRole, responses, notifications and indications to the
//   ClientRole; the bearer consumes Exchange MTU Requests and confirmations.
//   An unknown opcode is a request we do not support (Request Not
//   Supported) unless its Command Flag is set (ignored).
// - transactions (Vol 3 Part F 3.3.2): one outstanding request and one
//   outstanding indication of ours, each with the 30 s transaction timeout
//   (3.3.3). After a timeout no ATT PDU goes out on this bearer any more; the
//   client role hears it and the delegate is told to drop the link.
//
// The roles attach themselves (gatt::Server, gatt::Client take the bearer by
// reference); the bearer must outlive them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "att/att.hpp"
#include "common/bytes.hpp"
#include "common/time.hpp"

namespace sable::att {

struct BearerDelegate {
  virtual ~BearerDelegate() = default;
  // One complete ATT PDU for the ATT fixed channel (CID 0x0004) of the link.
  virtual void send(Bytes pdu) = 0;
  // Whether the lower layer can take a PDU of `length` octets now (room in the
  // ACL queue); asked before a notification or indication.
  virtual bool can_send(size_t /*length*/) { return true; }
  // A transaction timed out (Core 5.4 Vol 3 Part F 3.3.3): the bearer is
  // closed; the owner disconnects the link.
  virtual void on_bearer_fatal() = 0;
};

// Why the bearer closed.
enum class CloseReason : uint8_t {
  kRequestTimeout,     // our request got no response within 30 s
  kIndicationTimeout,  // our indication got no confirmation within 30 s
  kClosed,             // the owner closed it (the link is gone)
};

// The server side of the link: what a peer client sends us.
struct ServerRole {
  virtual ~ServerRole() = default;
  // A request (answer it with exactly one send_response) or a command (never
  // answered); at most ATT_MTU octets, opcode known, Exchange MTU excluded.
  virtual void on_request(TimePoint now, Bytes pdu) = 0;
};

// The client side of the link: what a peer server sends us.
struct ClientRole {
  virtual ~ClientRole() = default;
  // The PDU that ended our outstanding request `request_opcode` (its
  // response, an Error Response naming it, or any other response opcode,
  // which the client rejects). Not checked against ATT_MTU.
  virtual void on_response(TimePoint now, uint8_t request_opcode, Bytes pdu) = 0;
  // A notification, indication or Multiple Handle Value Notification of at
  // most ATT_MTU octets. An indication is confirmed with send_confirmation.
  virtual void on_server_pdu(TimePoint now, Bytes pdu) = 0;
  // The bearer closed; nothing more will arrive or can be sent.
  virtual void on_bearer_closed(CloseReason reason) = 0;
};

enum class SendResult : uint8_t {
  kSent,
  kClosed,      // the bearer closed (timeout or close())
  kBusy,        // a request (or indication) of ours is outstanding
  kInvalid,     // not this kind of PDU, or longer than ATT_MTU
  kUnexpected,  // a response without a request, a confirmation without an indication,
                // a second Exchange MTU Request
};

class Bearer {
 public:
  // max_mtu: the largest ATT PDU we can receive (our Rx MTU), 23..517.
  Bearer(BearerDelegate& delegate, uint16_t conn_id, uint16_t max_mtu = kMaxMtu);
  ~Bearer();
  Bearer(const Bearer&) = delete;
  Bearer& operator=(const Bearer&) = delete;

  // One ATT PDU from the peer (an L2CAP SDU of the ATT channel).
  void on_pdu(TimePoint now, Bytes pdu);

  // Client side. A request starts a transaction (its 30 s timer); an
  // Exchange MTU Request's Client Rx MTU becomes our Rx MTU for both roles
  // (3.4.2.2: the same MTU in our request and our response).
  SendResult send_request(TimePoint now, Bytes pdu);
  SendResult send_command(Bytes pdu);  // Write Command, Signed Write Command
  SendResult send_confirmation();      // for the indication being delivered
  // Server side.
  SendResult send_response(Bytes pdu);  // a response or an Error Response
  SendResult send_notification(Bytes pdu);
  SendResult send_indication(TimePoint now, Bytes pdu);

  // ATT_MTU of this link, for both roles.
  uint16_t mtu() const { return mtu_; }
  // The most we could announce; our announced Rx MTU once we sent a request.
  uint16_t max_mtu() const { return max_mtu_; }
  uint16_t rx_mtu() const { return rx_mtu_; }
  // An Exchange MTU completed in either direction: ATT_MTU is fixed.
  bool mtu_exchanged() const { return mtu_exchanged_; }
  // Our Exchange MTU Request went out (it is sent once per connection, 3.4.2.1).
  bool mtu_requested() const { return mtu_requested_; }
  uint16_t conn_id() const { return conn_id_; }

  bool open() const { return !closed_; }
  bool request_pending() const { return request_ != 0; }
  bool indication_pending() const { return indication_deadline_ != kNever; }
  // Room for a PDU of `length` octets in the lower layer now.
  bool can_send(size_t length) { return delegate_.can_send(length); }

  // The earliest transaction timeout (kNever when nothing is outstanding).
  TimePoint next_deadline() const;
  void on_timeout(TimePoint now);
  // The link is gone: fails the client role's procedures; idempotent.
  void close();

  // The roles (one each); detach before destruction.
  void attach(ServerRole* server) { server_ = server; }
  void attach(ClientRole* client) { client_ = client; }
  void detach(ServerRole* server);
  void detach(ClientRole* client);

 private:
  SendResult transmit(Bytes pdu);
  void shut(CloseReason reason);
  void on_exchange_mtu_request(Bytes pdu);
  void on_client_bound(TimePoint now, Bytes pdu);
  void refuse_request(uint8_t opcode, AttErrorCode code);

  BearerDelegate& delegate_;
  ServerRole* server_ = nullptr;
  ClientRole* client_ = nullptr;
  uint16_t conn_id_;
  uint16_t max_mtu_;
  uint16_t rx_mtu_;  // what we announce in both directions
  uint16_t mtu_ = kDefaultMtu;
  bool mtu_exchanged_ = false;
  bool mtu_requested_ = false;
  bool closed_ = false;
  uint8_t request_ = 0;           // our outstanding request's opcode (never 0x00), 0: none
  bool peer_request_ = false;     // a request of the peer awaits our response
  bool peer_indication_ = false;  // an indication of the peer awaits our confirmation
  TimePoint request_deadline_ = kNever;
  TimePoint indication_deadline_ = kNever;
  // Set by a destructor run from inside a role's callback (see shut()).
  bool* destroyed_ = nullptr;
};

}  // namespace sable::att

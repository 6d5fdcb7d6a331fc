// The GATT server of one connection (Core 5.4 Vol 3 Part F 3.4, Part G 4):
// answers every ATT request against a shared Database, enforcing attribute
// permissions through gatt::check_access on every access path, and sends
// notifications and indications. Sans-I/O: PDUs in through on_pdu(now, ...),
// out through ServerDelegate::send_att; time only through next_deadline() /
// on_timeout(now).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "att/att.hpp"
#include "att/pdu.hpp"
#include "common/bytes.hpp"
#include "common/time.hpp"
#include "gatt/access.hpp"
#include "gatt/database.hpp"

namespace sable::gatt {

struct ServerDelegate {
  virtual ~ServerDelegate() = default;
  // One complete ATT PDU for the ATT fixed channel of this connection.
  virtual void send_att(uint16_t conn_id, Bytes pdu) = 0;
  // A protocol violation or a 30 s transaction timeout (Core 5.4 Vol 3 Part F
  // 3.3.3): no further ATT traffic is allowed; the owner disconnects.
  virtual void on_att_fatal(uint16_t conn_id) = 0;
  // False when the lower layer has no buffer for a notification/indication now.
  virtual bool can_send(uint16_t /*conn_id*/) { return true; }
};

// Why notify()/indicate() did or did not send.
enum class NotifyResult : uint8_t {
  kSent,
  kNotSubscribed,      // the client has not enabled it in the CCCD
  kNoCccd,             // not a characteristic value with Notify/Indicate
  kLinkNotSecure,      // the link does not meet the value's read permission: withheld
  kTooLong,            // value longer than ATT_MTU - 3
  kIndicationPending,  // an indication awaits its confirmation
  kOutOfBuffers,       // the delegate cannot take a PDU now
  kNotConnected,       // the bearer failed (after on_att_fatal)
};
const char* to_string(NotifyResult r);

// One CCCD's value for this client; the bond store keeps a list per bond.
struct CccdEntry {
  uint16_t handle = 0;
  uint16_t value = 0;
  friend bool operator==(const CccdEntry&, const CccdEntry&) = default;
};
// What a bonded client configured (Core 5.4 Vol 3 Part G 3.3.3.3, 7.2).
struct ClientState {
  std::vector<CccdEntry> cccds;  // only non-zero entries
  uint8_t client_supported_features = 0;
  friend bool operator==(const ClientState&, const ClientState&) = default;
};

// Bounds of the prepared-write queue of one connection (attack #22).
inline constexpr size_t kMaxPreparedWrites = 16;
inline constexpr size_t kMaxPreparedBytes = 2048;

class Server {
 public:
  Server(Database& db, ServerDelegate& delegate, uint16_t conn_id, uint16_t max_mtu = att::kMaxMtu);

  // One ATT PDU from the client (request, command or confirmation).
  void on_pdu(TimePoint now, Bytes pdu);

  void set_link_security(const att::LinkSecurity& link) { link_ = link; }
  const att::LinkSecurity& link_security() const { return link_; }
  uint16_t mtu() const { return mtu_; }
  uint16_t conn_id() const { return conn_id_; }

  // Core 5.4 Vol 3 Part G 4.10 / 4.11. The value is sent as given (the caller
  // stores it with Database::set_value if reads should see it too).
  NotifyResult notify(uint16_t value_handle, Bytes value);
  NotifyResult indicate(TimePoint now, uint16_t value_handle, Bytes value);
  bool indication_pending() const { return indication_deadline_ != kNever; }

  // The 30 s indication transaction timeout.
  TimePoint next_deadline() const { return indication_deadline_; }
  void on_timeout(TimePoint now);

  // CCCD and Client Supported Features state of this client, to keep per bond
  // and to restore when the bonded peer reconnects. restore ignores handles
  // that are not CCCDs of this database and bits the characteristic lacks.
  ClientState client_state() const;
  void restore_client_state(const ClientState& state);
  uint16_t cccd_value(uint16_t cccd_handle) const;
  // Changes whenever the client state (CCCDs, supported features) changes, so
  // an owner can persist it without comparing (or copying) it per PDU.
  uint32_t client_state_generation() const { return client_state_generation_; }

 private:
  struct Dispatch;
  struct PreparedWrite {
    uint16_t handle;
    uint16_t offset;
    uint16_t data;  // offset in prepared_data_
    uint16_t length;
  };
  using Error = std::optional<att::AttErrorCode>;

  void send(const ByteWriter& w);
  void send_error(uint8_t request_opcode, uint16_t handle, att::AttErrorCode code);
  void fatal();

  // The one read accessor and the one write accessor every handler uses.
  Error read_attribute(const Attribute& a, Bytes& out);
  Error check_write(const Attribute& a, Bytes value);
  void store_write(const Attribute& a, Bytes value);
  bool authorize(const Attribute& a, Op op);
  NotifyResult send_value(att::Opcode opcode, uint16_t value_handle, Bytes value, uint16_t bit);
  // Builds the new value of one prepared handle; Error names Invalid Offset/Length.
  Error compose_prepared(const Attribute& a, std::array<uint8_t, att::kMaxValueLength>& buf,
                         uint16_t& length) const;

  void on_exchange_mtu(const att::ExchangeMtuRequest& r);
  void on_find_information(const att::FindInformationRequest& r);
  void on_find_by_type_value(const att::FindByTypeValueRequest& r);
  void on_read_by_type(const att::ReadByTypeRequest& r);
  void on_read(const att::ReadRequest& r);
  void on_read_blob(const att::ReadBlobRequest& r);
  void on_read_multiple(Bytes handles, bool variable);
  void on_read_by_group_type(const att::ReadByGroupTypeRequest& r);
  void on_write(const att::WriteRequest& r);
  void on_write_command(const att::WriteCommand& c);
  void on_prepare_write(const att::PrepareWriteRequest& r);
  void on_execute_write(const att::ExecuteWriteRequest& r);
  void on_confirmation();

  Database& db_;
  ServerDelegate& delegate_;
  uint16_t conn_id_;
  uint16_t max_mtu_;
  uint16_t mtu_ = att::kDefaultMtu;
  bool mtu_exchanged_ = false;
  bool closed_ = false;
  att::LinkSecurity link_;
  std::vector<uint16_t> cccds_;  // indexed by Characteristic::cccd_index; sized once
  uint8_t client_features_ = 0;
  uint32_t client_state_generation_ = 0;
  std::array<uint8_t, 2> scratch_{};  // per-connection values being read
  TimePoint indication_deadline_ = kNever;
  std::array<PreparedWrite, kMaxPreparedWrites> prepared_{};
  size_t prepared_count_ = 0;
  std::array<uint8_t, kMaxPreparedBytes> prepared_data_{};
  size_t prepared_bytes_ = 0;
};

}  // namespace sable::gatt

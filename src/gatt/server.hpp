// The GATT server of one connection (Core 5.4 Vol 3 Part F 3.4, Part G 4):
// answers every ATT request against a shared Database, enforcing attribute
// permissions through gatt::check_access on every access path, and sends
// notifications and indications. It sits on the link's att::Bearer, which
// hands it requests and commands, sends what it answers, owns ATT_MTU and
// the indication's 30 s transaction timer. Sans-I/O.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <vector>

#include "att/att.hpp"
#include "att/bearer.hpp"
#include "att/pdu.hpp"
#include "common/bytes.hpp"
#include "common/cccd_entry.hpp"
#include "common/time.hpp"
#include "gatt/access.hpp"
#include "gatt/database.hpp"

namespace sable::gatt {

// Why notify()/indicate() did or did not send a value.
enum class ValueSendResult : uint8_t {
  kSent,
  kNotSubscribed,      // the client has not enabled it in the CCCD
  kNoCccd,             // not a characteristic value with Notify/Indicate
  kLinkNotSecure,      // the link does not meet the value's read permission: withheld
  kTooLong,            // value longer than ATT_MTU - 3
  kIndicationPending,  // an indication awaits its confirmation
  kOutOfBuffers,       // the lower layer cannot take the PDU now
  kNotConnected,       // the bearer is closed
};
const char* to_string(ValueSendResult r);

// One CCCD's value for this client; the bond store keeps the same type, a list
// per bond (src/common).
using CccdEntry = sable::CccdEntry;
// What a bonded client configured (Core 5.4 Vol 3 Part G 3.3.3.3, 7.2).
// CCCD values of one client in a fixed array (kMaxCccds: as many as a
// database may have), so that saving and restoring them allocates nothing.
class CccdValues {
 public:
  CccdValues() = default;
  CccdValues(std::initializer_list<CccdEntry> entries) {
    for (const CccdEntry& e : entries) push_back(e);
  }
  // False (nothing added) when full.
  bool push_back(const CccdEntry& e) {
    if (size_ == entries_.size()) return false;
    entries_[size_++] = e;
    return true;
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const CccdEntry* begin() const { return entries_.data(); }
  const CccdEntry* end() const { return entries_.data() + size_; }
  operator std::span<const CccdEntry>() const { return {begin(), size_}; }
  friend bool operator==(const CccdValues& a, const CccdValues& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator==(const CccdValues& a, std::span<const CccdEntry> b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  std::array<CccdEntry, kMaxCccds> entries_{};
  size_t size_ = 0;
};

struct ClientState {
  CccdValues cccds;  // only non-zero entries
  uint8_t client_supported_features = 0;
  friend bool operator==(const ClientState&, const ClientState&) = default;
};

// Bounds of the prepared-write queue of one connection (attack #22).
inline constexpr size_t kMaxPreparedWrites = 16;
inline constexpr size_t kMaxPreparedBytes = 2048;

class Server final : private att::ServerRole {
 public:
  // Attaches to `bearer` (which must outlive the server); conn_id is the
  // bearer's, passed to the database's callbacks.
  Server(Database& db, att::Bearer& bearer);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void set_link_security(const att::LinkSecurity& link) { link_ = link; }
  const att::LinkSecurity& link_security() const { return link_; }
  uint16_t mtu() const { return bearer_.mtu(); }  // the bearer's ATT_MTU
  uint16_t conn_id() const { return conn_id_; }

  // Core 5.4 Vol 3 Part G 4.10 / 4.11. The value is sent as given (the caller
  // stores it with Database::set_value if reads should see it too).
  ValueSendResult notify(uint16_t value_handle, Bytes value);
  ValueSendResult indicate(TimePoint now, uint16_t value_handle, Bytes value);
  bool indication_pending() const { return bearer_.indication_pending(); }

  // The bearer's transaction timers, for an owner that polls the server
  // rather than the bearer (either is enough: they are the same timers).
  TimePoint next_deadline() const { return bearer_.next_deadline(); }
  void on_timeout(TimePoint now) { bearer_.on_timeout(now); }

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
  struct PreparedWrite {
    uint16_t handle;
    uint16_t offset;
    uint16_t data;  // offset in prepared_data_
    uint16_t length;
  };
  using Error = std::optional<att::AttErrorCode>;

  // att::ServerRole: a request or command the bearer classified as ours.
  void on_request(TimePoint now, Bytes pdu) override;
  void send(const ByteWriter& w);
  void send_error(uint8_t request_opcode, uint16_t handle, att::AttErrorCode code);

  // The one read accessor and the one write accessor every handler uses.
  Error read_attribute(const Attribute& a, Bytes& out);
  Error check_write(const Attribute& a, Bytes value);
  void store_write(const Attribute& a, Bytes value);
  bool authorize(const Attribute& a, Op op);
  // check_access on this link, asking the application last (authorization).
  Error check(const Attribute& a, const Permissions& perm, Op op);
  ValueSendResult send_value(TimePoint now, att::Opcode opcode, uint16_t value_handle, Bytes value,
                             uint16_t bit);
  // Builds the new value of one prepared handle; Error names Invalid Offset/Length.
  Error compose_prepared(const Attribute& a, std::array<uint8_t, att::kMaxValueLength>& buf,
                         uint16_t& length) const;

  // Find Information, Find By Type Value, Read By Type, Read By Group Type (checked PDUs).
  void walk_range(uint8_t op, Bytes pdu);
  void on_read(uint8_t op, uint16_t handle, uint16_t offset);  // Read, Read Blob
  void on_read_multiple(Bytes handles, bool variable);
  void on_write(uint16_t handle, Bytes value, bool request);  // Write Request, Command
  void on_prepare_write(uint16_t handle, uint16_t offset, Bytes value);
  void on_execute_write(uint8_t flags);

  Database& db_;
  att::Bearer& bearer_;
  uint16_t conn_id_;
  att::LinkSecurity link_;
  // Indexed by Characteristic::cccd_index (Database::build keeps it below
  // kMaxCccds): fixed, so a connection allocates nothing.
  std::array<uint16_t, kMaxCccds> cccds_{};
  uint8_t client_features_ = 0;
  uint32_t client_state_generation_ = 0;
  std::array<uint8_t, 2> scratch_{};  // per-connection values being read
  std::array<PreparedWrite, kMaxPreparedWrites> prepared_{};
  size_t prepared_count_ = 0;
  std::array<uint8_t, kMaxPreparedBytes> prepared_data_{};
  size_t prepared_bytes_ = 0;
};

}  // namespace sable::gatt

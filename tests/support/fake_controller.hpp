// In-process fake LE controllers for end-to-end host tests (test support only).
//
// A FakeAir links N emulated LE controllers inside one test process. Each
// FakeController speaks HCI (packets WITHOUT the H4 indicator byte, typed by
// sable::HciPacketType) to one host, and behaves like a correct Core 5.4
// controller for the subset of Vol 4 Part E that a GATT server/client needs:
// bring-up, legacy advertising and scanning, connections (up to 16 per
// controller), ACL forwarding with buffer credits, LE encryption, connection
// parameter updates, disconnection.
//
// Determinism: no threads and no real clock. Packets from a host are queued by
// from_host(); everything (command processing, air-side effects, delivery to
// the hosts' sinks) happens inside FakeAir::run_until_idle() in FIFO order.
// Time only moves in FakeAir::advance(), which fires air-side timers (e.g. a
// configured connection delay, high-duty directed advertising timeout,
// supervision timeout after a peer reset) whose effects are then delivered by
// the next run_until_idle().
//
// Choices where the spec leaves room (all documented at the knob):
// - Event masks ARE applied, with the spec's defaults: Set_Event_Mask default
//   0x00001FFFFFFFFFFF does not enable LE Meta (bit 61) nor Encryption Key
//   Refresh Complete (bit 47); a host must set them (or call
//   set_apply_event_masks(false)). LE events also need their LE_Event_Mask bit.
// - The connection interval chosen (connect and update) is the requested
//   minimum.
// - A mismatched LTK behaves like a real link: the first encrypted PDU fails
//   its MIC, the link drops and both hosts get Disconnection Complete with
//   reason 0x3D (Connection Terminated due to MIC Failure), no Encryption
//   Change. FakeAir::set_ltk_mismatch_quirk(true) reproduces btvirt instead
//   (Encryption Change status 0x05 on both sides, link stays up).
// - An LTK negative reply gives the central Encryption Change status 0x06 (PIN
//   or Key Missing), enabled 0x00; the link stays up, unencrypted.
// - Own_Address_Type 0x02/0x03 (controller-generated RPA) falls back to the
//   public/random address: the fake holds a resolving list but has no AES, so
//   it neither generates nor resolves RPAs (LE feature bit 6 LL Privacy is 0).
// - ACL that breaks flow control (no credit, too long) is counted in
//   violations() and still forwarded, so the test can finish and assert.
// - Bluetooth 5 (fake_controller_ext.cpp), each off by default like stock
//   btvirt's LE socket: PHY update (set_phy_supported) and extended
//   advertising, scanning and connecting (set_extended_advertising_supported).
//   Legacy and extended advertising meet on the air as on a real radio: an
//   extended scanner sees legacy advertising as legacy-PDU reports, a legacy
//   scanner or initiator sees only sets that use legacy PDUs. A host that
//   mixes legacy and extended advertising commands after a reset gets Command
//   Disallowed (Core 5.4 Vol 4 Part E 3.1.1), counted in violations().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "common/hci_packet_type.hpp"
#include "common/time.hpp"
#include "sable/address.hpp"

namespace sable::testing {

// Opcodes the fake implements (Core 5.4 Vol 4 Part E 7.1-7.8), for tests.
namespace op {
inline constexpr uint16_t kDisconnect = 0x0406;
inline constexpr uint16_t kReadRemoteVersionInformation = 0x041D;
inline constexpr uint16_t kSetEventMask = 0x0C01;
inline constexpr uint16_t kReset = 0x0C03;
inline constexpr uint16_t kReadLocalVersionInformation = 0x1001;
inline constexpr uint16_t kReadLocalSupportedCommands = 0x1002;
inline constexpr uint16_t kReadLocalSupportedFeatures = 0x1003;
inline constexpr uint16_t kReadBufferSize = 0x1005;
inline constexpr uint16_t kReadBdAddr = 0x1009;
inline constexpr uint16_t kReadRssi = 0x1405;
inline constexpr uint16_t kReadEncryptionKeySize = 0x1408;
inline constexpr uint16_t kLeSetEventMask = 0x2001;
inline constexpr uint16_t kLeReadBufferSize = 0x2002;
inline constexpr uint16_t kLeReadLocalSupportedFeatures = 0x2003;
inline constexpr uint16_t kLeSetRandomAddress = 0x2005;
inline constexpr uint16_t kLeSetAdvertisingParameters = 0x2006;
inline constexpr uint16_t kLeReadAdvertisingChannelTxPower = 0x2007;
inline constexpr uint16_t kLeSetAdvertisingData = 0x2008;
inline constexpr uint16_t kLeSetScanResponseData = 0x2009;
inline constexpr uint16_t kLeSetAdvertisingEnable = 0x200A;
inline constexpr uint16_t kLeSetScanParameters = 0x200B;
inline constexpr uint16_t kLeSetScanEnable = 0x200C;
inline constexpr uint16_t kLeCreateConnection = 0x200D;
inline constexpr uint16_t kLeCreateConnectionCancel = 0x200E;
inline constexpr uint16_t kLeReadFilterAcceptListSize = 0x200F;
inline constexpr uint16_t kLeClearFilterAcceptList = 0x2010;
inline constexpr uint16_t kLeAddDeviceToFilterAcceptList = 0x2011;
inline constexpr uint16_t kLeRemoveDeviceFromFilterAcceptList = 0x2012;
inline constexpr uint16_t kLeConnectionUpdate = 0x2013;
inline constexpr uint16_t kLeReadRemoteFeatures = 0x2016;
inline constexpr uint16_t kLeRand = 0x2018;
inline constexpr uint16_t kLeEnableEncryption = 0x2019;
inline constexpr uint16_t kLeLongTermKeyRequestReply = 0x201A;
inline constexpr uint16_t kLeLongTermKeyRequestNegativeReply = 0x201B;
inline constexpr uint16_t kLeReadSupportedStates = 0x201C;
inline constexpr uint16_t kLeRemoteConnectionParameterRequestReply = 0x2020;
inline constexpr uint16_t kLeRemoteConnectionParameterRequestNegativeReply = 0x2021;
inline constexpr uint16_t kLeSetDataLength = 0x2022;
inline constexpr uint16_t kLeReadSuggestedDefaultDataLength = 0x2023;
inline constexpr uint16_t kLeWriteSuggestedDefaultDataLength = 0x2024;
inline constexpr uint16_t kLeAddDeviceToResolvingList = 0x2027;
inline constexpr uint16_t kLeRemoveDeviceFromResolvingList = 0x2028;
inline constexpr uint16_t kLeClearResolvingList = 0x2029;
inline constexpr uint16_t kLeReadResolvingListSize = 0x202A;
inline constexpr uint16_t kLeSetAddressResolutionEnable = 0x202D;
inline constexpr uint16_t kLeSetResolvablePrivateAddressTimeout = 0x202E;
inline constexpr uint16_t kLeReadMaximumDataLength = 0x202F;
inline constexpr uint16_t kLeReadPhy = 0x2030;
inline constexpr uint16_t kLeSetDefaultPhy = 0x2031;
inline constexpr uint16_t kLeSetPhy = 0x2032;
inline constexpr uint16_t kLeSetAdvertisingSetRandomAddress = 0x2035;
inline constexpr uint16_t kLeSetExtendedAdvertisingParameters = 0x2036;
inline constexpr uint16_t kLeSetExtendedAdvertisingData = 0x2037;
inline constexpr uint16_t kLeSetExtendedScanResponseData = 0x2038;
inline constexpr uint16_t kLeSetExtendedAdvertisingEnable = 0x2039;
inline constexpr uint16_t kLeReadMaximumAdvertisingDataLength = 0x203A;
inline constexpr uint16_t kLeReadNumberOfSupportedAdvertisingSets = 0x203B;
inline constexpr uint16_t kLeRemoveAdvertisingSet = 0x203C;
inline constexpr uint16_t kLeClearAdvertisingSets = 0x203D;
inline constexpr uint16_t kLeSetExtendedScanParameters = 0x2041;
inline constexpr uint16_t kLeSetExtendedScanEnable = 0x2042;
inline constexpr uint16_t kLeExtendedCreateConnection = 0x2043;
inline constexpr uint16_t kLeReadBufferSizeV2 = 0x2060;
}  // namespace op

// Byte builders for tests (HCI packets without the H4 indicator).
namespace hci {
// Core 5.4 Vol 4 Part E 5.4.1: Opcode, Parameter_Total_Length, parameters.
std::vector<uint8_t> command(uint16_t opcode, Bytes params);
std::vector<uint8_t> command(uint16_t opcode, std::initializer_list<uint8_t> params = {});
// Core 5.4 Vol 4 Part E 5.4.2: Handle | PB << 12 | BC << 14, Data_Total_Length, data.
std::vector<uint8_t> acl(uint16_t handle, uint8_t packet_boundary, Bytes payload);
}  // namespace hci

enum class Direction : uint8_t { kHostToController, kControllerToHost };

struct LoggedPacket {
  Direction direction;
  HciPacketType type;
  std::vector<uint8_t> bytes;
  TimePoint at;
};

// Host mistakes the fake detects; a well-behaved host keeps total() at 0.
struct Violations {
  size_t command_credit = 0;      // a command sent while Num_HCI_Command_Packets was used up
  size_t acl_credit = 0;          // an ACL packet sent with no LE ACL buffer free
  size_t acl_length = 0;          // ACL data longer than the LE ACL buffer length
  size_t acl_unknown_handle = 0;  // ACL on a handle the controller does not know (dropped)
  size_t malformed = 0;           // bad framing, bad PB/BC flags, wrong packet type (dropped)
  size_t mixed_advertising = 0;   // legacy and extended advertising commands mixed (3.1.1)
  size_t total() const {
    return command_credit + acl_credit + acl_length + acl_unknown_handle + malformed +
           mixed_advertising;
  }
};

// What one controller knows about one of its links.
struct LinkInfo {
  uint16_t handle = 0;
  uint8_t role = 0;  // 0x00 central, 0x01 peripheral
  Address peer;
  uint16_t interval = 0;  // 1.25 ms units
  uint16_t latency = 0;
  uint16_t supervision_timeout = 0;  // 10 ms units
  bool encrypted = false;
  bool peer_present = true;        // false once the peer controller was reset
  uint8_t tx_phy = 1, rx_phy = 1;  // 1 LE 1M, 2 LE 2M, 3 LE Coded
  uint16_t tx_octets = 27, rx_octets = 27;
};

// One extended advertising set as the controller holds it (7.8.53-56).
struct AdvertisingSetInfo {
  uint8_t handle = 0;
  uint16_t properties = 0;
  uint32_t interval_min = 0x800, interval_max = 0x800;  // 0.625 ms units
  uint8_t own_address_type = 0;
  Address peer;  // directed advertising
  uint8_t filter_policy = 0;
  std::optional<Address> random_address;
  uint8_t primary_phy = 1, secondary_phy = 1, sid = 0;
  std::vector<uint8_t> data, scan_response;
  bool enabled = false;
};

class FakeAir;

class FakeController {
 public:
  using HostSink = std::function<void(HciPacketType, Bytes)>;

  FakeController(const FakeController&) = delete;
  FakeController& operator=(const FakeController&) = delete;

  // Called ONLY from FakeAir::run_until_idle, never re-entrantly inside
  // from_host. The sink may call from_host (it just queues). Without a sink,
  // delivered packets are only logged.
  void set_host_sink(HostSink to_host) { sink_ = std::move(to_host); }
  // Queues a command or ACL packet from the host (processed in run_until_idle).
  void from_host(HciPacketType type, Bytes packet);

  // ---- knobs (configuration; survives HCI_Reset) ----
  // LE ACL buffers reported by LE_Read_Buffer_Size [v2] and enforced (default 251 x 4).
  void set_acl_buffer(uint16_t length, uint8_t count);
  void set_le_read_buffer_size_v2_supported(bool on) { v2_supported_ = on; }
  // When on, LE_Read_Buffer_Size reports 0/0 and Read_Buffer_Size reports the
  // buffers (shared BR/EDR+LE buffers); when off (default) Read_Buffer_Size reports 0/0.
  void set_shared_acl_buffers(bool on) { shared_buffers_ = on; }
  // The next command with this opcode fails with `status` (Command Status or
  // Command Complete as the command normally gets), without side effects.
  void fail_next_command(uint16_t opcode, uint8_t status) { fail_next_[opcode] = status; }
  // Answer this opcode with Unknown HCI Command (0x01) and clear its supported-commands bit.
  void set_unsupported(uint16_t opcode) { unsupported_.insert(opcode); }
  // Drop ACL data on the way to this host (the sender still gets completed packets).
  void drop_acl_to_host(bool on) { drop_acl_to_host_ = on; }
  // When off, Number Of Completed Packets is held until complete_acl_packets().
  void set_auto_complete_acl(bool on) { auto_complete_ = on; }
  void complete_acl_packets();  // releases every held completion
  // Set_Event_Mask / LE_Set_Event_Mask are applied when on (default).
  void set_apply_event_masks(bool on) { apply_masks_ = on; }
  // LE data length extension (LE feature bit 5 and its commands); off by default,
  // so LE_Set_Data_Length gets Unknown HCI Command like btvirt.
  void set_data_length_supported(bool on) { data_length_supported_ = on; }
  // LE feature bit 6, LL Privacy (Core 5.4 Vol 6 Part B 4.6): the resolving
  // list is accepted and stored (this fake does not resolve addresses itself).
  void set_ll_privacy_supported(bool on) { ll_privacy_ = on; }
  // RSSI a scanner sees in this controller's advertising reports (default -50 dBm).
  void set_rssi(int8_t rssi) { rssi_ = rssi; }
  // Hand out the lowest free connection handle, as many controllers do, so a
  // new link reuses the handle of one that just ended (default: round robin).
  void set_reuse_handles(bool on) { reuse_handles_ = on; }
  // Key size reported by Read_Encryption_Key_Size on an encrypted link (default 16).
  void set_encryption_key_size(uint8_t size) { key_size_ = size; }
  // LE 2M and LE Coded PHYs (LE feature bits 8 and 11) and the PHY commands
  // (LE Read PHY, LE Set Default PHY, LE Set PHY); off by default.
  void set_phy_supported(bool le_2m, bool le_coded) {
    phy_2m_ = le_2m;
    phy_coded_ = le_coded;
  }
  // LE Extended Advertising (feature bit 12) with `sets` advertising sets, and
  // the extended advertising, scanning and create connection commands.
  void set_extended_advertising_supported(bool on, uint8_t sets = 4) {
    ext_adv_supported_ = on;
    max_sets_ = sets;
  }

  // ---- inspection ----
  const std::vector<LoggedPacket>& log() const { return log_; }
  void clear_log() { log_.clear(); }
  // Events delivered to the host so far (event packets, in order).
  std::vector<std::vector<uint8_t>> events_to_host() const;
  std::vector<std::vector<uint8_t>> acl_to_host() const;
  size_t commands_received(uint16_t opcode) const;
  const Violations& violations() const { return violations_; }
  const std::vector<std::string>& violation_messages() const { return violation_messages_; }
  const Address& address() const { return public_address_; }
  std::optional<Address> random_address() const { return random_address_; }
  size_t index() const { return index_; }
  bool is_advertising() const { return advertising_; }
  bool is_scanning() const { return scanning_; }
  bool is_initiating() const { return initiation_.has_value(); }
  uint64_t event_mask() const { return event_mask_; }
  uint64_t le_event_mask() const { return le_event_mask_; }
  std::vector<uint16_t> connection_handles() const;
  std::optional<LinkInfo> link(uint16_t handle) const;
  bool is_encrypted(uint16_t handle) const;
  size_t acl_in_flight() const { return acl_in_flight_total_; }
  size_t resolving_list_size() const { return resolving_list_.size(); }
  bool address_resolution_enabled() const { return address_resolution_; }
  const std::vector<AdvertisingSetInfo>& advertising_sets() const { return sets_; }
  bool is_extended_scanning() const { return scanning_ && scan_extended_; }

 private:
  friend class FakeAir;
  FakeController(FakeAir& air, size_t index, Address public_address);

  struct Initiation {
    uint8_t filter_policy;
    Address peer;
    uint8_t own_address_type;
    uint16_t interval_min, interval_max, latency, timeout;
    bool connect_scheduled = false;
    bool extended = false;  // LE_Extended_Create_Connection
    uint8_t phy = 1;        // the PHY the connection is made on
  };
  struct AdvParams {
    uint16_t interval_min = 0x0800, interval_max = 0x0800;
    uint8_t type = 0x00;
    uint8_t own_address_type = 0x00;
    Address peer;
    uint8_t channel_map = 0x07;
    uint8_t filter_policy = 0x00;
  };
  struct ResolvingEntry {
    Address identity;
    std::array<uint8_t, 16> peer_irk, local_irk;
  };

  void reset_state();
  void handle_command(Bytes packet);
  void handle_acl(Bytes packet);
  void dispatch(uint16_t opcode, Bytes params);
  // Each returns false for an opcode it does not handle.
  bool dispatch_advertising(uint16_t opcode, Bytes params);
  bool dispatch_link(uint16_t opcode, Bytes params);
  bool dispatch_ext(uint16_t opcode, Bytes params);
  void respond_failure(uint16_t opcode, uint8_t status, Bytes params);
  void command_complete(uint16_t opcode, std::vector<uint8_t> return_parameters);
  void command_status(uint16_t opcode, uint8_t status);
  void send_event(uint8_t code, std::vector<uint8_t> params);
  void send_le_event(uint8_t subevent, std::vector<uint8_t> params);
  void violation(size_t Violations::*counter, std::string message);
  std::vector<uint8_t> supported_commands() const;
  uint64_t le_features() const;
  bool has_feature_for(uint8_t needs) const;  // a command's Needs (fake_controller.cpp)
  std::optional<Address> own_address(uint8_t own_address_type) const;
  bool in_accept_list(const Address& a) const;
  uint16_t allocate_handle();
  // Core 5.4 Vol 4 Part E 3.1.1: after a reset a host uses either legacy or
  // extended advertising commands; false (and Command Disallowed sent) when
  // `opcode` is of the other kind.
  bool advertising_api_allowed(uint16_t opcode);
  AdvertisingSetInfo* find_set(uint8_t handle);
  std::optional<Address> set_address(const AdvertisingSetInfo& set) const;
  void enable_sets(uint16_t opcode, ByteReader& r, Bytes params);
  void on_delivered(HciPacketType type, const std::vector<uint8_t>& bytes);
  void note_acl_completed(uint16_t handle);

  FakeAir& air_;
  size_t index_;
  Address public_address_;
  HostSink sink_;
  std::vector<LoggedPacket> log_;
  std::map<uint16_t, size_t> commands_received_;
  Violations violations_;
  std::vector<std::string> violation_messages_;

  // knobs
  uint16_t acl_length_ = 251;
  uint8_t acl_count_ = 4;
  bool v2_supported_ = false;
  bool shared_buffers_ = false;
  std::map<uint16_t, uint8_t> fail_next_;
  std::set<uint16_t> unsupported_;
  bool drop_acl_to_host_ = false;
  bool auto_complete_ = true;
  bool reuse_handles_ = false;
  bool apply_masks_ = true;
  bool data_length_supported_ = false;
  bool phy_2m_ = false, phy_coded_ = false;
  bool ext_adv_supported_ = false;
  uint8_t max_sets_ = 4;
  int8_t rssi_ = -50;
  uint8_t key_size_ = 16;

  // controller state (cleared by HCI_Reset)
  uint64_t event_mask_ = 0;
  uint64_t le_event_mask_ = 0;
  std::optional<Address> random_address_;
  AdvParams adv_;
  std::vector<uint8_t> adv_data_, scan_rsp_data_;
  bool advertising_ = false;
  uint64_t adv_generation_ = 0;
  bool scanning_ = false;
  bool filter_duplicates_ = false;
  uint8_t scan_type_ = 0x00;
  uint8_t scan_own_address_type_ = 0x00;
  uint8_t scan_filter_policy_ = 0x00;
  // (address, address type, event type, SID) already reported, for duplicate filtering
  std::set<std::tuple<std::array<uint8_t, 6>, uint8_t, uint8_t, uint8_t>> reported_;
  std::optional<Initiation> initiation_;
  std::vector<Address> accept_list_;
  std::vector<ResolvingEntry> resolving_list_;
  bool address_resolution_ = false;
  uint16_t rpa_timeout_s_ = 900;
  std::map<uint16_t, uint64_t> handles_;  // connection handle -> link id
  uint16_t next_handle_ = 0;
  uint16_t suggested_tx_octets_ = 27, suggested_tx_time_ = 328;
  bool ll_privacy_ = false;
  // Bluetooth 5 state
  enum class AdvertisingApi : uint8_t { kNone, kLegacy, kExtended };
  AdvertisingApi adv_api_ = AdvertisingApi::kNone;
  std::vector<AdvertisingSetInfo> sets_;
  std::map<uint8_t, uint64_t> set_generation_;
  bool scan_extended_ = false;
  uint8_t default_tx_phys_ = 0x07, default_rx_phys_ = 0x07;
  // flow control, as seen by the host
  int command_credits_ = 1;
  std::map<uint16_t, size_t> acl_in_flight_;
  size_t acl_in_flight_total_ = 0;
  std::map<uint16_t, uint16_t> held_completions_;
  uint64_t rand_state_ = 0;
};

class FakeAir {
 public:
  FakeAir() = default;
  FakeAir(const FakeAir&) = delete;
  FakeAir& operator=(const FakeAir&) = delete;
  ~FakeAir();

  // Up to 16 controllers, like btvirt; references stay valid for the air's life.
  FakeController& add_controller(Address public_address);
  FakeController& controller(size_t index) { return *controllers_.at(index); }
  size_t controller_count() const { return controllers_.size(); }

  TimePoint now() const { return now_; }
  // Moves the clock, firing air-side timers that fall due (in time order);
  // their packets are delivered by the next run_until_idle().
  void advance(Duration d);
  // Processes and delivers queued packets, FIFO, until nothing is pending.
  // Returns whether anything was processed. Not re-entrant (a nested call
  // returns false). Stops after 1,000,000 steps and sets livelocked().
  bool run_until_idle();
  bool livelocked() const { return livelocked_; }
  bool idle() const { return queue_.empty(); }

  // ---- air knobs ----
  // Delay between a matching LE_Create_Connection and LE Connection Complete
  // (default 0: immediate). Fires on advance().
  void set_connection_delay(Duration d) { connection_delay_ = d; }
  // Route LE_Connection_Update through the peer host's LE Remote Connection
  // Parameter Request event (Connection Parameters Request procedure, LE
  // feature bit 1), from either side, as btvirt's LE socket does. Default off:
  // the update is applied directly.
  void set_remote_connection_parameter_request(bool on) { rcpr_ = on; }
  // btvirt quirk: a mismatched LTK gives Encryption Change status 0x05 on both
  // sides instead of a MIC failure disconnect (0x3D).
  void set_ltk_mismatch_quirk(bool on) { ltk_mismatch_quirk_ = on; }
  // Link loss: both sides get Disconnection Complete with reason 0x08
  // (Connection Timeout) at once.
  bool lose_link(FakeController& side, uint16_t handle);

 private:
  friend class FakeController;

  struct Side {
    FakeController* controller = nullptr;
    uint16_t handle = 0;
    Address address;  // the address this side used on the air
    bool attached = true;
    uint16_t tx_octets = 27;  // LE data length, this side to the other
    uint8_t tx_phy = 1;       // PHY this side transmits on
  };
  struct Link {
    uint64_t id = 0;
    Side central, peripheral;
    uint16_t interval = 0, latency = 0, timeout = 0;
    bool encrypted = false;
    std::array<uint8_t, 16> ltk{};
    // LE_Enable_Encryption in progress (waiting for the peripheral host)
    bool enc_pending = false;
    std::array<uint8_t, 16> pending_ltk{};
    // Remote connection parameter request in progress
    bool param_req_pending = false;
    bool param_req_from_central = false;
  };
  struct Work {
    bool to_host;
    FakeController* controller;
    HciPacketType type;
    std::vector<uint8_t> bytes;
  };
  struct Timer {
    TimePoint at;
    uint64_t seq;
    std::function<void()> fire;
  };

  void to_host(FakeController& c, HciPacketType type, std::vector<uint8_t> bytes);
  void schedule(Duration delay, std::function<void()> fire);
  Link* find_link(const FakeController& c, uint16_t handle);
  const Link* find_link(const FakeController& c, uint16_t handle) const;
  Side& side_of(Link& link, const FakeController& c);
  Side& other_side(Link& link, const FakeController& c);
  void remove_link(uint64_t id);
  void disconnect(Link& link, uint8_t local_reason, const FakeController* initiator,
                  uint8_t remote_reason);
  void detach(FakeController& c);  // HCI_Reset: links vanish locally, peers time out

  // What one controller puts on the air: legacy advertising (set == nullptr)
  // or one enabled extended advertising set, with legacy types as properties.
  struct Advert {
    FakeController* controller = nullptr;
    const AdvertisingSetInfo* set = nullptr;
    uint16_t properties = 0;  // 7.8.53 Advertising_Event_Properties
    Address address;
    Address peer;  // directed advertising
    uint8_t filter_policy = 0;
    const std::vector<uint8_t>* data = nullptr;
    const std::vector<uint8_t>* scan_response = nullptr;
    uint8_t primary_phy = 1, secondary_phy = 0, sid = 0xFF;
  };
  std::vector<Advert> adverts_of(FakeController& c);
  void report_all_to(FakeController& scanner);
  void report_to_scanners(FakeController& advertiser);
  void report(const Advert& advert, FakeController& scanner);
  void report_extended(const Advert& advert, FakeController& scanner, bool scan_response,
                       const Address& scanner_address);
  void try_connect(FakeController& initiator);
  void try_connect_all();
  std::optional<Advert> find_advertiser_for(FakeController& initiator);
  void establish(FakeController& initiator, const Advert& advert);
  void start_param_update(Link& link, FakeController& from, uint16_t min, uint16_t max,
                          uint16_t latency, uint16_t timeout);
  void apply_param_update(Link& link, FakeController* initiator, uint8_t status, uint16_t min,
                          uint16_t latency, uint16_t timeout);

  std::vector<std::unique_ptr<FakeController>> controllers_;
  std::deque<Work> queue_;
  std::vector<Timer> timers_;
  uint64_t timer_seq_ = 0;
  std::map<uint64_t, Link> links_;
  uint64_t next_link_id_ = 1;
  TimePoint now_{};
  bool running_ = false;
  bool livelocked_ = false;
  Duration connection_delay_{0};
  bool rcpr_ = false;
  bool ltk_mismatch_quirk_ = false;
};

}  // namespace sable::testing

// The GATT client of one connection (Core 5.4 Vol 3 Part G 4): MTU exchange,
// primary service, characteristic and descriptor discovery, (long) reads,
// writes (request, command, long/prepared) and notification/indication
// subscriptions, over the client half of one att::Bearer.
//
// Sans-I/O like the server: the bearer hands it responses, notifications and
// indications and sends its requests; the bearer owns ATT_MTU and the 30 s
// transaction timer (time only through the bearer's next_deadline() /
// on_timeout(now), forwarded here for owners that poll the client).
//
// ATT allows one outstanding request per direction (Vol 3 Part F 3.3.2):
// procedures are queued and run one at a time, in the order they were started.
// Each procedure completes exactly once, through its callback, with a value or
// a ClientError. A procedure that cannot start (bad arguments, bearer closed)
// may complete before the call that started it returns.
//
// Every response is checked against the outstanding request (opcode, lengths,
// handles increasing and inside the requested range, entry lengths); a bad one
// ends that transaction and fails its procedure with kInvalidResponse, and the
// bearer stays usable. Only a transaction timeout is fatal to the bearer.
// The discovery procedures live in client_discovery.cpp, reads and writes in
// client_read_write.cpp.
//
// Callbacks and notification handlers run with the client's state already
// updated; they may start new procedures, call on_disconnected(), or destroy
// the Client (nothing touches it after a callback that did).
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <type_traits>
#include <variant>
#include <vector>

#include "att/att.hpp"
#include "att/bearer.hpp"
#include "att/pdu.hpp"
#include "common/bytes.hpp"
#include "common/lifetime_watch.hpp"
#include "common/time.hpp"
#include "sable/result.hpp"
#include "sable/uuid.hpp"

namespace sable::gatt {

// Why a client procedure failed.
struct ClientError {
  enum class Kind : uint8_t {
    kAtt,                // the server sent an Error Response: see att_error, handle
    kTimeout,            // no response within 30 s (Vol 3 Part F 3.3.3); the bearer is closed
    kDisconnected,       // the link went down or the bearer closed before completion
    kInvalidResponse,    // the server answered with a malformed or unexpected PDU
    kInvalidParameters,  // the caller's arguments can never succeed (handle 0, too long, ...)
    kBusy,               // too many procedures queued (kMaxQueuedProcedures)
  };
  Kind kind = Kind::kInvalidResponse;
  att::AttErrorCode att_error{};  // when kind == kAtt
  uint16_t handle = 0;            // when kind == kAtt: Attribute Handle In Error

  static constexpr ClientError att(att::AttErrorCode code, uint16_t handle) {
    return {Kind::kAtt, code, handle};
  }
  static constexpr ClientError of(Kind k) { return {k, {}, 0}; }
  // True for an Error Response with this code (e.g. Insufficient Authentication:
  // the owner pairs or encrypts, then retries).
  constexpr bool is(att::AttErrorCode code) const {
    return kind == Kind::kAtt && att_error == code;
  }
  friend bool operator==(const ClientError&, const ClientError&) = default;
};
const char* to_string(ClientError::Kind kind);

template <class T>
using ClientResult = Result<T, ClientError>;
template <class T>
using Callback = std::function<void(ClientResult<T>)>;

// Core 5.4 Vol 3 Part G 4.4: one primary service.
struct ServiceInfo {
  uint16_t start = 0;
  uint16_t end = 0;
  Uuid uuid{};
  friend bool operator==(const ServiceInfo&, const ServiceInfo&) = default;
};
// Core 5.4 Vol 3 Part G 3.3.1: one characteristic declaration.
struct CharacteristicInfo {
  uint16_t declaration_handle = 0;
  uint8_t properties = 0;
  uint16_t value_handle = 0;
  Uuid uuid{};
  friend bool operator==(const CharacteristicInfo&, const CharacteristicInfo&) = default;
};
// Core 5.4 Vol 3 Part G 4.7.1: one characteristic descriptor.
struct DescriptorInfo {
  uint16_t handle = 0;
  Uuid uuid{};
  friend bool operator==(const DescriptorInfo&, const DescriptorInfo&) = default;
};

enum class WriteMode : uint8_t {
  // Write Characteristic Value (Vol 3 Part G 4.9.3): a Write Request when the
  // value fits ATT_MTU - 3 when the procedure runs; a longer value uses the
  // Write Long procedure (kLong) automatically.
  kRequest,
  // Write Without Response (4.9.1): a Write Command, sent at once (commands
  // need no transaction); completes when handed to the delegate. The value
  // must fit ATT_MTU - 3.
  kCommand,
  // Write Long Characteristic Values (4.9.4): Prepare Write Requests of
  // ATT_MTU - 5 octets, each echo verified (as for Reliable Writes, 4.9.5),
  // then Execute Write (flags 0x01). On a mismatched echo or an error after
  // a segment was queued, the queue is cancelled (Execute Write flags 0x00).
  kLong,
};

// value_handle, value, is_indication. Runs on the notification path; the value
// view is valid only during the call.
using NotificationHandler = std::function<void(uint16_t value_handle, Bytes value, bool)>;

// Procedures waiting behind the running one; more fail with kBusy.
inline constexpr size_t kMaxQueuedProcedures = 64;

class Client final : private att::ClientRole {
 public:
  // Attaches to `bearer`, which must outlive the client.
  explicit Client(att::Bearer& bearer);
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Core 5.4 Vol 3 Part G 4.3.1: sends Client Rx MTU `mtu` (kept within
  // 23..the bearer's max_mtu) and yields the new ATT_MTU. Sent at most once
  // per connection (Vol 3 Part F 3.4.2.1), and not after the peer exchanged
  // (3.4.2.2: one direction is enough): then it reports the current ATT_MTU.
  void exchange_mtu(TimePoint now, uint16_t mtu, Callback<uint16_t> done);
  // The same with the bearer's max_mtu.
  void exchange_mtu(TimePoint now, Callback<uint16_t> done);

  // 4.4.1 Discover All Primary Services (Read By Group Type 0x2800), or with a
  // uuid 4.4.2 Discover Primary Service by Service UUID (Find By Type Value).
  void discover_primary_services(TimePoint now, std::optional<Uuid> uuid,
                                 Callback<std::vector<ServiceInfo>> done);
  // 4.6.1 Discover All Characteristics of a Service (Read By Type 0x2803).
  // start == 0 is invalid; start > end yields an empty list.
  void discover_characteristics(TimePoint now, uint16_t start, uint16_t end,
                                Callback<std::vector<CharacteristicInfo>> done);
  // 4.7.1 Discover All Characteristic Descriptors (Find Information), usually
  // value_handle + 1 .. end of the characteristic. start > end: empty list.
  void discover_descriptors(TimePoint now, uint16_t start, uint16_t end,
                            Callback<std::vector<DescriptorInfo>> done);

  // 4.8.1 / 4.8.3: Read, then Read Blob while a response filled ATT_MTU - 1
  // octets; ends on a shorter response, Attribute Not Long, or 512 octets.
  void read(TimePoint now, uint16_t handle, Callback<std::vector<uint8_t>> done);
  // 4.9.1 / 4.9.3 / 4.9.4 (see WriteMode). Values above 512 octets are invalid.
  void write(TimePoint now, uint16_t handle, Bytes value, WriteMode mode, Callback<void> done);

  // 4.10 / 4.11 via 4.12.3: writes 0x0001 (notifications) or 0x0002
  // (indications) to the CCCD. The handler is installed at once (replacing any
  // for value_handle) so nothing sent right after the write is missed, and
  // removed again if the write fails. Requires cccd_handle > value_handle.
  void subscribe(TimePoint now, uint16_t value_handle, uint16_t cccd_handle, bool indications,
                 NotificationHandler handler, Callback<void> done);
  // Removes the handler at once and writes 0x0000 to the CCCD used to
  // subscribe. kInvalidParameters when value_handle has no subscription.
  void unsubscribe(TimePoint now, uint16_t value_handle, Callback<void> done);

  uint16_t mtu() const { return bearer_.mtu(); }  // the bearer's ATT_MTU
  uint16_t conn_id() const { return conn_id_; }
  // False once the bearer closed (a transaction timeout, on_disconnected()):
  // everything fails.
  bool open() const { return bearer_.open(); }

  // The bearer's transaction timers (the same as the server's).
  TimePoint next_deadline() const { return bearer_.next_deadline(); }
  void on_timeout(TimePoint now) { bearer_.on_timeout(now); }

  // The link is gone: drops all subscriptions and closes the bearer, which
  // fails the running and every queued procedure with kDisconnected.
  void on_disconnected();

 private:
  struct MtuProc {
    uint16_t mtu;  // Client Rx MTU to announce
    Callback<uint16_t> done;
  };
  struct ServiceProc {
    std::optional<Uuid> uuid;
    uint16_t next = 0x0001;
    std::vector<ServiceInfo> found;
    Callback<std::vector<ServiceInfo>> done;
  };
  struct CharacteristicProc {
    uint16_t next;
    uint16_t end;
    std::vector<CharacteristicInfo> found;
    Callback<std::vector<CharacteristicInfo>> done;
  };
  struct DescriptorProc {
    uint16_t next;
    uint16_t end;
    std::vector<DescriptorInfo> found;
    Callback<std::vector<DescriptorInfo>> done;
  };
  struct ReadProc {
    uint16_t handle;
    std::vector<uint8_t> value;
    Callback<std::vector<uint8_t>> done;
  };
  struct WriteProc {
    uint16_t handle;
    std::vector<uint8_t> value;
    bool long_write;
    Callback<void> done;
    uint32_t subscription = 0;                  // a subscribe: its id, removed if the write fails
    uint16_t offset = 0;                        // next octet to prepare
    uint16_t segment = 0;                       // octets in the outstanding Prepare Write
    bool prepared = false;                      // at least one segment is queued at the server
    bool executing = false;                     // Execute Write sent
    std::optional<ClientError> cancel_error{};  // cancelling; report this afterwards
  };
  using Procedure =
      std::variant<MtuProc, ServiceProc, CharacteristicProc, DescriptorProc, ReadProc, WriteProc>;

  struct Subscription {
    uint16_t value_handle;
    uint16_t cccd_handle;
    uint32_t id;
    std::shared_ptr<NotificationHandler> handler;  // shared: survives removal mid-call
  };

  struct Step;

  // Core 5.4 Vol 3 Part F 3.4.6.3: Execute Write Request flags.
  static constexpr uint8_t kCancelAllPreparedWrites = 0x00;
  static constexpr uint8_t kWriteAllPreparedWrites = 0x01;

  // att::ClientRole
  void on_response(TimePoint now, uint8_t request_opcode, Bytes pdu) override;
  void on_server_pdu(TimePoint now, Bytes pdu) override;
  void on_bearer_closed(att::CloseReason reason) override;

  void enqueue(TimePoint now, Procedure p);
  void pump(TimePoint now);
  void start(TimePoint now);
  void send_request(TimePoint now, const ByteWriter& w);
  void fail_current(TimePoint now, ClientError error);
  static void fail_procedure(Procedure& proc, ClientError error);
  // Ends the running procedure: clears it, runs `call(ctx)` (its callback),
  // then starts the next one unless the callback destroyed the client.
  void finish(TimePoint now, void* ctx, void (*call)(void*));
  template <class T>
  void complete(TimePoint now, Callback<T>& done, std::type_identity_t<ClientResult<T>> result);
  void fail_all(std::optional<Procedure> current, ClientError current_error);

  // One step per procedure: send its next request or complete it.
  void start_services(TimePoint now, ServiceProc& p);
  void start_characteristics(TimePoint now, CharacteristicProc& p);
  void start_descriptors(TimePoint now, DescriptorProc& p);
  void start_write(TimePoint now, WriteProc& p);
  void send_prepare(TimePoint now, WriteProc& p);
  void send_execute(TimePoint now, uint8_t flags);
  void start_read(TimePoint now, ReadProc& p);
  void send_read_blob(TimePoint now, ReadProc& p);

  void on_mtu_response(TimePoint now, MtuProc& p, const att::Pdu& pdu);
  void on_services_response(TimePoint now, ServiceProc& p, const att::Pdu& pdu);
  void on_characteristics_response(TimePoint now, CharacteristicProc& p, const att::Pdu& pdu);
  void on_descriptors_response(TimePoint now, DescriptorProc& p, const att::Pdu& pdu);
  void on_read_response(TimePoint now, ReadProc& p, const att::Pdu& pdu);
  void on_write_response(TimePoint now, WriteProc& p, const att::Pdu& pdu);
  void invalid(TimePoint now, const char* why);

  void deliver(uint16_t handle, Bytes value, bool indication);
  void remove_subscription(uint32_t id);

  att::Bearer& bearer_;
  uint16_t conn_id_;
  bool pumping_ = false;
  std::optional<Procedure> current_;
  std::list<Procedure> queue_;  // a list: nothing allocated until a procedure waits
  std::vector<Subscription> subscriptions_;
  uint32_t next_subscription_id_ = 1;
  // Ends the watches of calls running when the client is destroyed (by a
  // callback): they check it after every callback, without a heap flag.
  LifetimeWatchList watchers_;
};

// Defined here: every client TU completes procedures. Only the callback's
// call is per result type; finish() does the rest once.
template <class T>
void Client::complete(TimePoint now, Callback<T>& done,
                      std::type_identity_t<ClientResult<T>> result) {
  // Move out, update state, then notify; touch nothing if the callback destroyed us.
  struct Call {
    Callback<T> cb;
    ClientResult<T>& result;
  } call{std::move(done), result};
  finish(now, &call, [](void* c) {
    auto& k = *static_cast<Call*>(c);
    if (k.cb) k.cb(std::move(k.result));
  });
}

}  // namespace sable::gatt

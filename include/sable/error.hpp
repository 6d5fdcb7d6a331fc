// Errors the public API reports: a kind a program can branch on, the wire code
// when a protocol produced it, and one line a person can read.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace sable {

enum class ErrorKind : uint8_t {
  kBadArgument,        // a caller's mistake (bad --hci spec, bad UUID, ...)
  kTransport,          // the controller cannot be reached or went away
  kControllerTimeout,  // the controller stopped answering commands
  kController,         // the controller answered with an HCI error status
  kNotConnected,       // no such connection
  kInvalidState,       // e.g. changing the database after advertising started
  kDoesNotFit,         // advertising data too long for the packets
  kProtocol,           // a peer violated the protocol
  kAtt,                // the peer answered with an ATT error (code: AttErrorCode)
  kPairingFailed,      // pairing failed (code: SMP Pairing Failed reason)
  kTimeout,            // no answer in time
  kDisconnected,       // the link went down
  kNotFound,           // no such service, characteristic, advertiser or bond
  kNotSupported,       // this build leaves the feature out (its profile) or the peer lacks it
};

// Which side ended a pairing (kPairingFailed, or kTimeout from SMP): we sent
// Pairing Failed or refused to start (kLocal), the peer sent Pairing Failed
// (kPeer, Core 5.4 Vol 3 Part H 3.5.5), or the 30 s SMP timer expired
// (kTimeout, Part H 3.4). kUnknown for every other error.
enum class ErrorOrigin : uint8_t {
  kUnknown,
  kLocal,
  kPeer,
  kTimeout,
};

// An error's one line of text, held inline: building, copying or moving one
// never touches the heap, so the core can report errors after start-up
// without an allocator (and without linking std::string). Text beyond
// kCapacity characters is cut, its last three characters replaced by "..."
// so that a reader sees it was cut. Formatting uses sable's own printf
// (src/common/format.hpp), not the C library's.
class ErrorMessage {
 public:
  static constexpr size_t kCapacity = 127;

  constexpr ErrorMessage() = default;
  ErrorMessage(const char* text);       // NOLINT: implicit, so Error{kind, "text"} reads well
  ErrorMessage(std::string_view text);  // NOLINT
  // std::string and anything else that views as text (a public API's caller
  // may build its message with std::string; the copy is cut to kCapacity).
  template <class Text>
  requires(std::is_convertible_v<const Text&, std::string_view> &&
           !std::is_convertible_v<const Text&, const char*>)
      ErrorMessage(const Text& text)  // NOLINT
      : ErrorMessage(std::string_view(text)) {}

  // printf-style (sable::format's conversions), cut to kCapacity.
  static ErrorMessage format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

  ErrorMessage& append(std::string_view text);
  ErrorMessage& append_format(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  ErrorMessage& operator+=(std::string_view text) { return append(text); }

  const char* c_str() const { return text_; }
  std::string_view view() const { return {text_, size_}; }
  operator std::string_view() const { return view(); }  // NOLINT
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Whether text was cut to fit.
  bool truncated() const { return truncated_; }
  bool contains(std::string_view text) const { return view().find(text) != view().npos; }
  bool starts_with(std::string_view text) const { return view().starts_with(text); }

  // Also compares two messages, and a message with a std::string.
  friend bool operator==(const ErrorMessage& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const ErrorMessage& a, const char* b) {
    return a.view() == std::string_view(b == nullptr ? "" : b);
  }

  // `std::cout << e.message`, gtest's `<< e.message`: any stream that takes
  // a string_view (a template, so this header needs no <ostream>).
  template <class Stream>
  requires requires(Stream& s, std::string_view v) { s << v; }
  friend Stream& operator<<(Stream& s, const ErrorMessage& m) {
    s << m.view();
    return s;
  }

 private:
  void vappend(const char* fmt, va_list ap);
  void cut();

  char text_[kCapacity + 1] = {};
  uint8_t size_ = 0;
  bool truncated_ = false;
};

static_assert(std::is_trivially_copyable_v<ErrorMessage>);

struct Error {
  ErrorKind kind;
  ErrorMessage message;
  uint8_t code = 0;  // HCI status, ATT error or SMP reason when one applies
  ErrorOrigin origin = ErrorOrigin::kUnknown;  // set for pairing failures
};

static_assert(std::is_trivially_copyable_v<Error>);

}  // namespace sable

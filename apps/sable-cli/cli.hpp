// sable-cli: a BLE central on the command line (scan, connect, read, write,
// subscribe, pair, bonds), in the spirit of bluetoothctl/gatttool.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sable/address.hpp"
#include "sable/device.hpp"
#include "sable/error.hpp"
#include "sable/uuid.hpp"

namespace sable_cli {

// Exit codes (documented in the usage text).
enum Exit : int {
  kExitOk = 0,
  kExitFailed = 1,    // the operation failed
  kExitUsage = 2,     // bad command line
  kExitNotFound = 3,  // no such device/characteristic/bond, or a timeout
  kExitAuth = 4,      // pairing or authentication failed, or refused for lack of security
};

extern const char kUsage[];

// Which peripheral a command is about: an address (with its type when given as
// ADDRESS/random or ADDRESS/public), or the first advertiser matching a filter.
struct Target {
  std::optional<sable::Address> address;
  bool address_type_known = false;
  std::string name;
  std::optional<sable::Uuid> service;
  bool given() const { return address || !name.empty() || service; }
};

struct Options {
  sable::DeviceOptions device;
  bool json = false;
  std::string command;
  std::string subcommand;  // bonds list|delete
  Target target;
  std::optional<sable::Uuid> characteristic;
  std::optional<double> timeout_s;
  std::optional<uint32_t> passkey;
  bool passkey_prompt = false;
  bool yes = false;
  bool no_auto_secure = false;
  std::optional<std::vector<uint8_t>> value;
  bool no_response = false;
  std::optional<unsigned> count;
  bool all = false;
  std::optional<sable::Address> bond_address;
};

// Parses argv; on a usage error prints one line (plus a hint) and exits 2.
Options parse_args(int argc, char** argv);

// A small JSON object builder: one object per output line.
class Json {
 public:
  Json& str(const char* key, const std::string& value);
  Json& num(const char* key, long long value);
  Json& boolean(const char* key, bool value);
  Json& strings(const char* key, const std::vector<std::string>& values);
  std::string text() const { return "{" + body_ + "}"; }

 private:
  void key(const char* k);
  std::string body_;
};
std::string json_escape(const std::string& s);

// Everything the tool prints goes through here (thread-safe: pairing callbacks
// run on the stack's helper threads).
class Output {
 public:
  explicit Output(bool json) : json_(json) {}
  bool json() const { return json_; }
  // A progress line for a person (not printed with --json).
  void progress(const std::string& text);
  // A result: the human line, or the JSON object with "event" first.
  void result(const std::string& human, const std::string& event, const Json& fields);
  // Prints the error (one line on stderr; with --json also an error event on
  // stdout) and returns `code`.
  int fail(int code, const std::string& message);
  // A person's prompt, on stderr (stdout stays clean for results).
  void prompt(const std::string& text);

 private:
  bool json_;
  std::mutex mutex_;
};

// The exit code for an error the API returned.
int exit_code_for(const sable::Error& error);

// Hex "0a 1b ..." and, when every byte is printable ASCII, the text.
std::string to_hex(const std::vector<uint8_t>& bytes, const char* separator = " ");
std::optional<std::string> printable(const std::vector<uint8_t>& bytes);
const char* address_type_name(const sable::Address& a);

// Commands (commands.cpp, bonds.cpp); each returns the exit code.
int run_scan(const Options& o, Output& out);
int run_connect(const Options& o, Output& out);
int run_read(const Options& o, Output& out);
int run_write(const Options& o, Output& out);
int run_subscribe(const Options& o, Output& out);
int run_pair(const Options& o, Output& out);
int run_bonds(const Options& o, Output& out);

// Set by SIGINT/SIGTERM; long waits stop early and clean up (disconnect).
bool interrupted();
void install_signal_handlers();

}  // namespace sable_cli

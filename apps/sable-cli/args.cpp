// Command-line parsing for sable-cli.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli.hpp"

namespace sable_cli {

const char kUsage[] =
    "usage: sable-cli [--hci SPEC] [--btsnoop FILE] [--bond-store PATH] [--json] [-v] COMMAND ...\n"
    "commands:\n"
    "  scan [--timeout S] [--name N] [--service UUID]\n"
    "  connect TARGET [--timeout S]\n"
    "  read TARGET --service UUID --char UUID [SECURITY]\n"
    "  write TARGET --service UUID --char UUID --value HEX|--text T [--no-response] [SECURITY]\n"
    "  subscribe TARGET --service UUID --char UUID --count N [--timeout S] [SECURITY]\n"
    "  pair TARGET [--passkey N|--passkey-prompt] [--yes] [--timeout S]\n"
    "  bonds list\n"
    "  bonds delete ADDRESS|--all\n"
    "TARGET is ADDRESS[/public|/random], or the first advertiser matching --name N and/or\n"
    "  --service UUID (read/write/subscribe filter on --service only without ADDRESS or --name).\n"
    "  An ADDRESS without a type is looked up by scanning.\n"
    "SECURITY: --passkey N (6 digits) | --passkey-prompt (asks on the terminal), --yes (accept\n"
    "  numeric comparison), --no-auto-secure (do not pair/encrypt and retry when the peer asks\n"
    "  for security). Pairing asks for bonding + MITM + Secure Connections, IO capability\n"
    "  KeyboardDisplay.\n"
    "options:\n"
    "  --hci SPEC          controller: unix:PATH, tcp:HOST:PORT, uart:DEV[:BAUD[:rtscts]], user:N\n"
    "                      (default: $SABLE_HCI)\n"
    "  --btsnoop FILE      write every HCI packet to a BTSnoop capture\n"
    "  --bond-store PATH   bond file (default ./sable-cli-bonds)\n"
    "  --json              one JSON object per result line (\"event\" field), errors included\n"
    "  --timeout S         limit of each wait: finding, connecting, notifications (default 10,\n"
    "                      scan 5)\n"
    "  -v                  more logging on stderr (repeat for more)\n"
    "exit codes: 0 ok, 1 operation failed, 2 usage error, 3 not found or timeout,\n"
    "  4 pairing/authentication failed (or refused for lack of security)\n";

namespace {

[[noreturn]] void usage_error(const Options& o, const std::string& message) {
  if (o.json)
    std::printf("%s\n", Json()
                            .str("event", "error")
                            .num("exit_code", kExitUsage)
                            .str("message", message)
                            .text()
                            .c_str());
  std::fprintf(stderr, "sable-cli: %s (see sable-cli --help)\n", message.c_str());
  std::exit(kExitUsage);
}

std::optional<sable::Address> parse_address(const std::string& text, bool* type_known) {
  std::string addr = text;
  sable::AddressType type = sable::AddressType::kPublic;
  *type_known = false;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    std::string t = text.substr(slash + 1);
    addr = text.substr(0, slash);
    if (t == "random") {
      type = sable::AddressType::kRandom;
    } else if (t != "public") {
      return std::nullopt;
    }
    *type_known = true;
  }
  return sable::Address::parse(addr, type);
}

bool parse_hex(std::string text, std::vector<uint8_t>* out) {
  if (text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0) text = text.substr(2);
  std::string digits;
  for (char c : text) {
    if (c == ' ' || c == ':' || c == '-') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    digits += c;
  }
  if (digits.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < digits.size(); i += 2)
    out->push_back(uint8_t(std::strtoul(digits.substr(i, 2).c_str(), nullptr, 16)));
  return true;
}

}  // namespace

Options parse_args(int argc, char** argv) {
  Options o;
  o.device.bond_store = "sable-cli-bonds";
  o.device.name = "sable-cli";
  if (const char* env = std::getenv("SABLE_HCI")) o.device.hci = env;
  // --json anywhere applies to usage errors too.
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--json") o.json = true;

  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const std::string& flag) -> std::string {
      if (i + 1 >= argc) usage_error(o, flag + " needs a value");
      return argv[++i];
    };
    auto uuid = [&](const std::string& flag) {
      std::string v = value(flag);
      auto u = sable::Uuid::parse(v);
      if (!u) usage_error(o, flag + ": '" + v + "' is not a UUID");
      return *u;
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(kExitOk);
    } else if (a == "--hci") {
      o.device.hci = value(a);
    } else if (a == "--btsnoop") {
      o.device.btsnoop = value(a);
    } else if (a == "--bond-store") {
      o.device.bond_store = value(a);
      if (o.device.bond_store.empty()) usage_error(o, "--bond-store needs a path");
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "-v" || a == "-vv" || a == "-vvv") {
      o.device.verbosity += int(a.size()) - 1;
    } else if (a == "--timeout") {
      std::string v = value(a);
      char* end = nullptr;
      double t = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(t > 0) || t > 3600)
        usage_error(o, "--timeout must be a number of seconds from 0 to 3600");
      o.timeout_s = t;
    } else if (a == "--name") {
      o.target.name = value(a);
      if (o.target.name.empty()) usage_error(o, "--name must not be empty");
    } else if (a == "--service") {
      o.target.service = uuid(a);
    } else if (a == "--char") {
      o.characteristic = uuid(a);
    } else if (a == "--passkey") {
      std::string v = value(a);
      char* end = nullptr;
      unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || v.size() > 6 || *end != '\0' || n > 999999)
        usage_error(o, "--passkey must be a number from 0 to 999999");
      o.passkey = uint32_t(n);
    } else if (a == "--passkey-prompt") {
      o.passkey_prompt = true;
    } else if (a == "--yes") {
      o.yes = true;
    } else if (a == "--no-auto-secure") {
      o.no_auto_secure = true;
    } else if (a == "--value") {
      std::vector<uint8_t> bytes;
      std::string v = value(a);
      if (!parse_hex(v, &bytes)) usage_error(o, "--value: '" + v + "' is not hex bytes");
      o.value = bytes;
    } else if (a == "--text") {
      std::string v = value(a);
      o.value = std::vector<uint8_t>(v.begin(), v.end());
    } else if (a == "--no-response") {
      o.no_response = true;
    } else if (a == "--count") {
      std::string v = value(a);
      char* end = nullptr;
      unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n == 0 || n > 1000000)
        usage_error(o, "--count must be a positive number");
      o.count = unsigned(n);
    } else if (a == "--all") {
      o.all = true;
    } else if (a.size() > 1 && a[0] == '-') {
      usage_error(o, "unknown option '" + a + "'");
    } else {
      positional.push_back(a);
    }
  }

  if (positional.empty()) usage_error(o, "no command given");
  o.command = positional[0];
  static const char* const kCommands[] = {"scan",      "connect", "read", "write",
                                          "subscribe", "pair",    "bonds"};
  bool known = false;
  for (const char* c : kCommands) known = known || o.command == c;
  if (!known) usage_error(o, "unknown command '" + o.command + "'");

  auto allow = [&](bool ok, const char* what) {
    if (!ok) usage_error(o, std::string(what) + " does not apply to '" + o.command + "'");
  };
  const bool gatt = o.command == "read" || o.command == "write" || o.command == "subscribe";
  const bool secures = gatt || o.command == "pair";
  allow(!o.characteristic || gatt, "--char");
  allow((!o.passkey && !o.passkey_prompt && !o.yes) || secures, "--passkey/--passkey-prompt/--yes");
  allow(!o.no_auto_secure || gatt, "--no-auto-secure");
  allow((!o.value && !o.no_response) || o.command == "write", "--value/--text/--no-response");
  allow(!o.count || o.command == "subscribe", "--count");
  allow(!o.all || o.command == "bonds", "--all");
  allow(!o.timeout_s || o.command != "bonds", "--timeout");
  if (o.passkey && o.passkey_prompt) usage_error(o, "give --passkey or --passkey-prompt, not both");

  if (o.command == "bonds") {
    allow(!o.target.service && o.target.name.empty(), "--name/--service");
    if (positional.size() < 2) usage_error(o, "bonds needs 'list' or 'delete'");
    o.subcommand = positional[1];
    if (o.subcommand == "list") {
      if (positional.size() > 2 || o.all) usage_error(o, "bonds list takes no arguments");
    } else if (o.subcommand == "delete") {
      if (positional.size() == 3 && !o.all) {
        bool type_known = false;
        o.bond_address = parse_address(positional[2], &type_known);
        if (!o.bond_address) usage_error(o, "'" + positional[2] + "' is not an address");
      } else if (!(positional.size() == 2 && o.all)) {
        usage_error(o, "bonds delete needs one ADDRESS or --all");
      }
    } else {
      usage_error(o, "unknown bonds command '" + o.subcommand + "'");
    }
    return o;
  }

  if (o.command == "scan") {
    if (positional.size() > 1) usage_error(o, "scan takes no address");
  } else {
    if (positional.size() > 2) usage_error(o, "unexpected argument '" + positional[2] + "'");
    if (positional.size() == 2) {
      o.target.address = parse_address(positional[1], &o.target.address_type_known);
      if (!o.target.address)
        usage_error(
            o, "'" + positional[1] + "' is not an address (AA:BB:CC:DD:EE:FF[/public|/random])");
    }
    if (!o.target.given())
      usage_error(o, o.command + " needs an ADDRESS, --name N or --service UUID");
  }
  if (gatt) {
    if (!o.target.service) usage_error(o, o.command + " needs --service UUID");
    if (!o.characteristic) usage_error(o, o.command + " needs --char UUID");
  }
  if (o.command == "write" && !o.value) usage_error(o, "write needs --value HEX or --text T");
  if (o.command == "subscribe" && !o.count) usage_error(o, "subscribe needs --count N");
  if (o.device.hci.empty()) usage_error(o, "--hci is required (or set SABLE_HCI)");
  return o;
}

}  // namespace sable_cli
